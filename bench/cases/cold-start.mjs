// `tm --version` and `tm --help` against starting Node itself: what a CLI costs on top.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));
const run = (args) => () => {
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
};

export default {
  name: 'cold start',
  comparisons: [
    { label: 'tm --version', target: 1.3, runs: 30, warmup: 3, tm: run([TM, '--version']), altName: 'node -e 0', alt: run(['-e', '0']) },
    { label: 'tm --help', target: 1.6, runs: 30, warmup: 3, tm: run([TM, '--help']), altName: 'node -e 0', alt: run(['-e', '0']) },
  ],
};
