import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freePort, processesMentioning, projectsPerTest, TM, type TempProject } from '../helpers/project.js';

// tm stopped where a user stops it (kill -9 of the whole command, a crash) and the state it
// leaves: the next tm up must start from it, and tm down must find everything.
const { project } = projectsPerTest();
const PSQL = '/usr/lib/postgresql/15/bin/psql';
const psql = (p: TempProject, sql: string, db = 'demo_db') =>
  execa(PSQL, ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'demo_user', '-d', db, '-tAc', sql], { env: { PGPASSWORD: 'pw-demo-secret' }, reject: false });
const servers = (p: TempProject) => Promise.all([processesMentioning(` -p ${p.pgPort} `), processesMentioning(`:${p.redisPort}`)]).then((a) => a.flat());

describe('state left by a tm that was killed', () => {
  it('kill -9 of tm up during initdb: the next tm up initialises again and starts', async () => {
    const p = await project();
    const { projectId } = await import('../../src/config/load.js');
    // Inside the project, or (tm as root, a project the postgres user cannot enter) under /var/lib/taskmaster.
    const data = [join(p.dir, '.taskmaster', 'data'), join('/var/lib/taskmaster', projectId('demo', p.dir))];
    // Its own process group, as a shell gives a command: kill -9 reaches tm and initdb.
    const up = spawn(process.execPath, [TM, 'up'], { cwd: p.dir, detached: true, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    const exited = new Promise((r) => up.on('exit', r));
    let killed = false;
    for (let i = 0; i < 2000 && !killed; i++) {
      const dirs = (
        await Promise.all(
          data.map((d) =>
            readdir(d).then(
              (names) => names.map((n) => join(d, n)),
              () => [] as string[],
            ),
          ),
        )
      ).flat();
      // initdb has begun writing: the directory it builds has its version file.
      if (dirs.some((d) => basename(d).startsWith('postgres') && existsSync(join(d, 'PG_VERSION')))) {
        process.kill(-up.pid!, 'SIGKILL');
        killed = true;
      } else await delay(5);
    }
    expect(killed).toBe(true);
    await exited;
    const again = await p.tm(['up', '--timeout', '30s']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await psql(p, 'SELECT 1')).stdout.trim()).toBe('1');
    // Nothing half-made is left beside the data directory.
    for (const d of data) expect((await readdir(d).catch(() => [])).filter((n) => n.includes('init'))).toEqual([]);
  });

  it('servers whose PID files were never written are stopped by the next tm up and by tm down', async () => {
    const p = await project();
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const before = await servers(p);
    expect(before, before.join('\n')).toHaveLength(2);
    // What a tm killed between starting the servers and recording them leaves.
    await rm(join(p.dir, '.taskmaster', 'run'), { recursive: true });
    const up = await p.tm(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/^postgres \(pid \d+\) runs on this project's data without a PID file .*: stopping it$/m);
    expect(up.stderr).toMatch(/^redis \(pid \d+\) runs on this project's data without a PID file/m);
    expect(await servers(p)).toHaveLength(2);
    expect(await servers(p)).not.toEqual(before);
    expect((await psql(p, 'SELECT 1')).stdout.trim()).toBe('1');

    await rm(join(p.dir, '.taskmaster', 'run'), { recursive: true });
    const down = await p.tm(['down', '--volumes']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/postgres: stopped/);
    expect(down.stdout).toMatch(/redis: stopped/);
    expect(await servers(p)).toEqual([]);
  });

  it('an app database that is gone (a failed reset dropped it) is created again by tm up', async () => {
    const p = await project();
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await psql(p, 'DROP DATABASE demo_db', 'postgres')).exitCode).toBe(0);
    const up = await p.tm(['up', '--timeout', '20s']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await psql(p, 'SELECT current_database()')).stdout.trim()).toBe('demo_db');
    // Also when the server starts anew (the role's stamp says the setup was done).
    expect((await psql(p, 'DROP DATABASE demo_db', 'postgres')).exitCode).toBe(0);
    expect((await p.tm(['restart', 'postgres', '--timeout', '20s'])).exitCode).toBe(0);
    expect((await psql(p, 'SELECT 1')).stdout.trim()).toBe('1');
  });
});

/** A project with Postgres, Redis and an app that never gets ready: tm up is in its apps stage until stopped. */
async function withApp(): Promise<TempProject> {
  const port = await freePort();
  const p = await project({ extra: `  app:\n    command: node never-ready.mjs\n    port: ${port}\n    depends_on: [postgres, redis]\n` });
  await cp(resolve(import.meta.dirname, '../fixtures/app/never-ready.mjs'), join(p.dir, 'never-ready.mjs'));
  return p;
}

/** Nothing of the project runs and no PID file is left. */
async function nothingLeft(p: TempProject): Promise<void> {
  expect(await servers(p)).toEqual([]);
  expect(await processesMentioning('never-ready.mjs')).toEqual([]);
  expect(
    await readdir(join(p.dir, '.taskmaster', 'run')).then(
      (f) => f.filter((n) => n.endsWith('.pid')),
      () => [],
    ),
  ).toEqual([]);
}

describe('Ctrl-C during tm up', () => {
  it('on a terminal (a real pseudo-terminal, the spinner running): stops everything the run started and exits 130', async () => {
    const p = await withApp();
    // script(1) gives tm a pseudo-terminal; stty gives it a width, so the spinner draws. Ctrl-C is
    // the byte the keyboard sends: the terminal turns it into SIGINT (unless raw mode swallows it).
    const env = { ...process.env, NO_COLOR: '1', TERM: 'xterm' };
    delete env.CI;
    const term = spawn('script', ['-qfec', `stty cols 120 rows 40 && exec ${process.execPath} ${TM} up`, '/dev/null'], { cwd: p.dir, env });
    let screen = '';
    term.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    const exited = new Promise<number | null>((r) => term.on('exit', (code) => r(code)));
    for (let i = 0; i < 1200 && !screen.includes('starting apps'); i++) await delay(50);
    expect(screen).toContain('⠋'); // the spinner is drawn: this is the interactive path
    expect(screen).toContain('starting apps'); // the databases are up: the first stage is done
    await delay(300);
    const t0 = performance.now();
    term.stdin.write('\x03');
    const code = await exited;
    expect(code, screen).toBe(130);
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(screen).toContain('TM_INTERRUPTED');
    await nothingLeft(p);
  });

  for (const ci of [false, true]) {
    it(`kill -INT in the apps stage${ci ? ' with CI=1' : ''}: the databases of the first stage are stopped too`, async () => {
      const p = await withApp();
      const up = spawn(process.execPath, [TM, 'up'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1', ...(ci ? { CI: '1' } : {}) } });
      let stderr = '';
      up.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => up.on('exit', (code) => r(code)));
      for (let i = 0; i < 1200 && !stderr.includes('starting app on port'); i++) await delay(50);
      await delay(300);
      up.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
      expect(stderr).toContain('TM_INTERRUPTED');
      await nothingLeft(p);
    });
  }
});
