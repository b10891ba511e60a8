#!/usr/bin/env node
// Benchmarks tm side by side with what users would otherwise run, in one run, as ratios.
//
//   npm run bench                      every case, print the table
//   npm run bench -- cold-start        only these cases (file names in bench/cases/)
//   npm run bench -- --runs 5 --write  fewer runs; write bench/RESULTS.md
//
// A case module (bench/cases/<name>.mjs) exports default
//   { name, setup?(), teardown?(), versions?(), comparisons: [{ label, target, tm, alt, runs?, warmup? }] }
// where `tm` and `alt` are async functions returning the milliseconds they measured (or
// nothing, and the harness times the call), and `target` is the largest acceptable ratio
// tm/alt. Runs alternate tm, alt, tm, alt... so drift hits both sides alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NOTES = '<!-- notes: kept across runs -->';
const argv = process.argv.slice(2);
const write = argv.includes('--write');
const runsFlag = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : undefined;
const only = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--runs');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function time(fn) {
  const t0 = performance.now();
  const measured = await fn();
  return typeof measured === 'number' ? measured : performance.now() - t0;
}

const files = (await readdir(join(here, 'cases'))).filter((f) => f.endsWith('.mjs')).sort();
const selected = files.filter((f) => only.length === 0 || only.includes(f.replace(/\.mjs$/, '')));
if (selected.length === 0) {
  console.error(`no such case: ${only.join(', ')} (have: ${files.map((f) => f.replace(/\.mjs$/, '')).join(', ')})`);
  process.exit(2);
}

// The stacks the cases start go in a registry of their own (inherited by every tm they run),
// never the machine's: `tm ls` and `tm prune` of the user never see them.
const stateHome = mkdtempSync(join(tmpdir(), 'tm-bench-state-'));
process.env.XDG_STATE_HOME = stateHome;

const rows = [];
const versions = { node: process.version };
let failed = false;
for (const file of selected) {
  const { default: bench } = await import(join(here, 'cases', file));
  process.stderr.write(`[bench] ${bench.name}\n`);
  try {
    await bench.setup?.();
    Object.assign(versions, (await bench.versions?.()) ?? {});
    for (const c of bench.comparisons) {
      const runs = runsFlag ?? c.runs ?? 15;
      const tmTimes = [];
      const altTimes = [];
      for (let i = 0; i < (c.warmup ?? 2); i++) {
        await time(c.tm);
        await time(c.alt);
      }
      for (let i = 0; i < runs; i++) {
        tmTimes.push(await time(c.tm));
        altTimes.push(await time(c.alt));
      }
      const tm = median(tmTimes);
      const alt = median(altTimes);
      const ratio = tm / alt;
      rows.push({ suite: file.replace(/\.mjs$/, ''), case: c.label, tm, alt, altName: c.altName, ratio, target: c.target, met: ratio <= c.target, runs });
      process.stderr.write(`[bench]   ${c.label}: ${fmt(tm)} vs ${fmt(alt)} = ${ratio.toFixed(2)}x\n`);
    }
  } catch (err) {
    failed = true;
    process.stderr.write(`[bench] ${bench.name} failed: ${err.stack ?? err}\n`);
  } finally {
    await bench.teardown?.();
  }
}

const HEADER = ['| suite | case | tm (median) | alternative | alternative (median) | ratio | target | met |', '|---|---|---|---|---|---|---|---|'];
const line = (r) =>
  `| ${r.suite} | ${r.case} | ${fmt(r.tm)} | ${r.altName} | ${fmt(r.alt)} | ${r.ratio.toFixed(2)}x | ≤ ${r.target}x | ${r.met ? 'yes' : '**no**'} |`;
console.log([...HEADER, ...rows.map(line)].join('\n'));

if (write) {
  // Hand-written analysis below the marker survives a rewrite of the table.
  const previous = await readFile(join(here, 'RESULTS.md'), 'utf8').catch(() => '');
  const notes = previous.includes(NOTES) ? previous.slice(previous.indexOf(NOTES)) : `${NOTES}\n`;
  // Rows of suites not run this time are kept, so one suite can be re-measured alone.
  const ran = new Set(rows.map((r) => r.suite));
  const suiteOf = (l) => l.split('|')[1].trim();
  const known = new Set(files.map((f) => f.replace(/\.mjs$/, '')));
  const kept = previous.split('\n').filter((l) => /^\| [\w-]+ +\|/.test(l) && known.has(suiteOf(l)) && !ran.has(suiteOf(l)));
  const order = (l) => files.indexOf(`${suiteOf(l)}.mjs`);
  const table = [...HEADER, ...[...kept, ...rows.map(line)].sort((a, b) => order(a) - order(b))].join('\n');
  // Versions of tools measured in earlier runs stay listed unless measured again.
  const previousVersions = /^- Versions: (.*)$/m.exec(previous)?.[1] ?? '';
  for (const part of previousVersions.split(', ').filter(Boolean)) {
    const [k, ...v] = part.split(' ');
    if (!(k in versions)) versions[k] = v.join(' ');
  }
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
  const text = `# Benchmark results

${table}

Ratios are tm's median over the alternative's median; runs alternate between the two.
Each case sets its own number of runs (bench/cases/*.mjs); a re-run of one suite keeps the
other suites' rows.

- Date: ${new Date().toISOString().slice(0, 10)}
- Machine: ${machine}, ${process.platform} ${process.arch}
- Versions: ${Object.entries(versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}

Reproduce: \`npm run bench -- --write\` (needs the PostgreSQL and Redis binaries of the README;
the Docker case needs \`../shared/tools/docker-engine.sh up\` and is skipped without an engine).

${notes}`;
  await writeFile(join(here, 'RESULTS.md'), text);
}
rmSync(stateHome, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
