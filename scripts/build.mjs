// Bundles the CLI into dist/ with esbuild: one file per lazily loaded command (code
// splitting), so Node resolves and compiles a handful of files instead of hundreds of
// modules; `tm --help` and every command start faster. Type checking is tsc's job.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// pg decides at load time whether it runs on Cloudflare Workers; on Node 20 (no `navigator`)
// that check constructs a `Response`, which loads undici: ~20 ms on every command that talks
// to Postgres. tm runs only on Node, so the bundle answers the question directly. The build
// fails if pg changes this code, so the patch cannot silently stop applying.
const pgNodeStreams = {
  name: 'pg-node-streams',
  setup(b) {
    b.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const call = 'if (isCloudflareRuntime()) {';
      if (!source.includes(call)) throw new Error(`${args.path}: pg's runtime check changed; update scripts/build.mjs`);
      return { contents: source.replace(call, 'if (false) {'), loader: 'js' };
    });
  },
};
await rm(`${root}dist`, { recursive: true, force: true });

// Identifies this build's code: caches written by one build (src/config/cache.ts) are not
// read by another.
const buildId = createHash('sha256');
for (const entry of (await readdir(`${root}src`, { recursive: true, withFileTypes: true }))
  .filter((e) => e.isFile())
  .map((e) => `${e.parentPath}/${e.name}`)
  .sort()) {
  buildId.update(entry).update(await readFile(entry));
}
buildId.update(await readFile(`${root}package.json`));
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts', 'src/runtime/native/supervisor.ts', 'src/db/seeds/tsx-runner.ts', 'src/env/write.ts'],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // dockerode pulls optional native modules (ssh2, cpu-features): load it from node_modules.
  external: ['dockerode', 'pg-native'],
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __tmRequire } from 'node:module'; const require = __tmRequire(import.meta.url);" },
  define: { __TM_BUILD__: JSON.stringify(buildId.digest('hex').slice(0, 16)) },
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [pgNodeStreams],
});
