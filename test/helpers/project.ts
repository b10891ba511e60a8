import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';

export const TM = resolve(import.meta.dirname, '../../bin/tm.js');

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export interface TempProject {
  dir: string;
  pgPort: number;
  redisPort: number;
  /** Runs the built CLI in this project. */
  tm(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeout?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Stops whatever tm started here and deletes the directory. */
  cleanup(): Promise<void>;
}

/** A project in a fresh temporary directory with Postgres and Redis on free ports. */
export interface ProjectOptions {
  name?: string;
  extra?: string;
  password?: string;
  runtime?: string;
  /** Image names for the docker runtime (tests use the stand-in images). */
  images?: { postgres: string; redis: string };
  /** The folder to make the project in (default: the system's temp folder). */
  parent?: string;
}

export async function tempProject(opts: ProjectOptions = {}): Promise<TempProject> {
  const dir = await mkdtemp(join(opts.parent ?? tmpdir(), 'tm-test-'));
  const pgPort = await freePort();
  let redisPort = await freePort();
  while (redisPort === pgPort) redisPort = await freePort();
  const name = opts.name ?? 'demo';
  await writeFile(
    join(dir, 'taskmaster.yml'),
    `name: ${name}
runtime: ${opts.runtime ?? 'native'}
services:
  postgres: { port: ${pgPort}, database: ${name}_db, user: ${name}_user, password: "${opts.password ?? `pw-${name}-secret`}"` +
      `${opts.images ? `, image: ${opts.images.postgres}` : ''} }
  redis: { port: ${redisPort}${opts.images ? `, image: ${opts.images.redis}` : ''} }
${opts.extra ?? ''}`,
  );
  const tm: TempProject['tm'] = async (args, o = {}) => {
    const r = await execa(process.execPath, [TM, ...args], {
      cwd: dir,
      reject: false,
      env: { NO_COLOR: '1', ...o.env },
      timeout: o.timeout ?? 120_000,
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  return {
    dir,
    pgPort,
    redisPort,
    tm,
    async cleanup() {
      await tm(['down', '--volumes']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Processes (not zombies) whose command line mentions `text`. */
export async function processesMentioning(text: string): Promise<string[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    // Arguments are NUL-separated: matched as the space-separated line ps shows.
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (cmd.includes(text) && state !== 'Z') found.push(`${pid} ${cmd}`);
  }
  return found;
}

/**
 * A `tempProject` maker for a test file: every project it made is stopped and deleted after
 * each test, with the extra paths given to `alsoRemove`.
 */
export function projectsPerTest(): { project: (opts?: ProjectOptions) => Promise<TempProject>; alsoRemove: (...paths: string[]) => void } {
  const made: TempProject[] = [];
  const paths: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((p) => p.cleanup()));
    for (const path of paths.splice(0)) await rm(path, { recursive: true, force: true });
  });
  return {
    project: async (opts) => {
      const p = await tempProject(opts);
      made.push(p);
      return p;
    },
    alsoRemove: (...more) => void paths.push(...more),
  };
}
