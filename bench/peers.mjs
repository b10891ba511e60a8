// The tools benchmarks compare against are installed on demand into bench/.peers, not as
// dependencies of tm (dbmate's per-platform binaries also keep a lockfile from `npm ci`
// on other platforms).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS = fileURLToPath(new URL('./.peers/', import.meta.url));
const WANTED = ['dbmate@2.36.0', 'node-pg-migrate@8.0.4'];

/** Path of a peer's binary, installing the peers first if needed. */
export function peerBin(name) {
  const bin = join(PEERS, 'node_modules', '.bin', name);
  if (!existsSync(bin)) {
    mkdirSync(PEERS, { recursive: true });
    process.stderr.write(`[bench] installing ${WANTED.join(', ')} into bench/.peers\n`);
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', PEERS, ...WANTED], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return bin;
}

export function peerVersion(pkg) {
  return JSON.parse(
    execFileSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(join(PEERS, 'node_modules', pkg, 'package.json'))}).version)`]).toString(),
  );
}
