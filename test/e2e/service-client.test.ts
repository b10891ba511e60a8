import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerUnavailable } from '../helpers/container.js';
import { freePort, processesMentioning, TM, tempProject, type TempProject } from '../helpers/project.js';

// tm psql, tm redis-cli, tm shell and tm exec against real servers, on both runtimes: the
// local clients on native, the containers' own through `docker compose exec` on Docker.
const IMAGES = { postgres: 'standin/postgres:15', redis: 'standin/redis:7' };
const noDocker = await dockerUnavailable(Object.values(IMAGES));
const REDIS_PASSWORD = 'redis-pw-loop-secret';

/** A project whose Redis asks for a password too, so redis-cli's authentication is tested. */
async function upProject(runtime: 'native' | 'docker'): Promise<TempProject> {
  const p = await tempProject({ name: 'loop', runtime, images: runtime === 'docker' ? IMAGES : undefined });
  const file = join(p.dir, 'taskmaster.yml');
  await writeFile(
    file,
    (await readFile(file, 'utf8')).replace(`redis: { port: ${p.redisPort}`, `redis: { port: ${p.redisPort}, password: "${REDIS_PASSWORD}"`),
  );
  const up = await p.tm(['up']);
  if (up.exitCode !== 0) {
    await p.cleanup();
    throw new Error(`tm up failed: ${up.stderr}`);
  }
  return p;
}

/** Runs tm with `input` on its stdin (not a terminal, as in a script). */
const tmWithInput = (p: TempProject, args: string[], input: string) =>
  execa(process.execPath, [TM, ...args], { cwd: p.dir, input, reject: false, env: { NO_COLOR: '1' } });

/**
 * Runs tm while watching every process's arguments: returns tm's result, the command lines of
 * the programs it started that mention `marker`, and any command line holding a secret.
 */
async function watchArgv(p: TempProject, args: string[], marker: string, secrets: string[]) {
  const run = execa(process.execPath, [TM, ...args], { cwd: p.dir, reject: false, env: { NO_COLOR: '1' } });
  const programs = new Set<string>();
  const leaks = new Set<string>();
  let done = false;
  void run.finally(() => (done = true));
  while (!done) {
    // One pass over every process (a loaded machine makes each pass slow).
    for (const line of await processesMentioning('')) {
      if (line.includes(marker) && !line.includes(TM)) programs.add(line.replace(/^\d+ /, ''));
      if (secrets.some((secret) => line.includes(secret))) leaks.add(line);
    }
    await delay(20);
  }
  return { result: await run, programs: [...programs], leaks: [...leaks] };
}

for (const runtime of ['native', 'docker'] as const) {
  describe.skipIf(runtime === 'docker' && noDocker)(`daily-loop clients (${runtime})`, () => {
    let p: TempProject;
    beforeAll(async () => {
      p = await upProject(runtime);
    }, 180_000);
    afterAll(async () => {
      await p?.cleanup();
    });

    it('tm psql -c prints and exits as psql does, logged in as the project user', async () => {
      const ok = await p.tm(['psql', '-c', 'select current_user']);
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('loop_user');
      const bad = await p.tm(['psql', '-c', 'select no_such_column']);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toContain('no_such_column');
    });

    it('tm psql reads a script from a stdin that is not a terminal, and passes its exit code', async () => {
      const script = await tmWithInput(
        p,
        ['psql', '--', '-tA', '-v', 'ON_ERROR_STOP=1'],
        'create table t (v int); insert into t values (2), (3); select sum(v) from t;',
      );
      expect(script.exitCode, String(script.stderr)).toBe(0);
      expect(String(script.stdout)).toContain('5');
      // psql exits 3 when a script stops on an error.
      const failing = await tmWithInput(p, ['psql', '--', '-v', 'ON_ERROR_STOP=1'], 'select 1; select broken;');
      expect(failing.exitCode).toBe(3);
    });

    it('tm redis-cli and tm shell redis authenticate without the password on any command line', async () => {
      expect((await p.tm(['redis-cli', 'set', 'greeting', 'hi'])).stdout.trim()).toBe('OK');
      const get = await p.tm(['shell', 'redis', '--', 'get', 'greeting']);
      expect(get.exitCode, get.stderr).toBe(0);
      expect(get.stdout.trim()).toBe('hi');
      // A blocking call keeps the client running while every process's arguments are read.
      const watched = await watchArgv(p, ['redis-cli', 'blpop', 'loop-nothing', '3'], 'loop-nothing', [REDIS_PASSWORD]);
      expect(watched.result.exitCode, String(watched.result.stderr)).toBe(0);
      expect(watched.programs.some((c) => /redis-cli|docker/.test(c))).toBe(true);
      expect(watched.leaks).toEqual([]);
    });

    it('tm psql keeps the password off every command line while the client runs', async () => {
      const watched = await watchArgv(p, ['psql', '-c', 'select pg_sleep(3) as loop_marker'], 'loop_marker', ['pw-loop-secret']);
      expect(watched.result.exitCode, String(watched.result.stderr)).toBe(0);
      expect(watched.programs.some((c) => /psql|docker/.test(c))).toBe(true);
      expect(watched.leaks).toEqual([]);
    });

    // One test per format: each is six runs of tm, slow on a loaded machine.
    it.each(['x.sql.gz', 'x.dump'])('tm db dump %s and tm db import it --yes round-trip a seeded database', async (name) => {
      const seed = 'drop table if exists seeded, extra; create table seeded (v int); insert into seeded select generate_series(1, 3000)';
      expect((await p.tm(['psql', '-c', seed])).exitCode).toBe(0);
      const dump = await p.tm(['db', 'dump', name]);
      expect(dump.exitCode, dump.stderr).toBe(0);
      // gzip's magic bytes, or pg_dump's custom archive.
      const head = (await readFile(join(p.dir, name))).subarray(0, 5);
      expect(name.endsWith('.gz') ? head.subarray(0, 2).toString('hex') : head.toString()).toBe(name.endsWith('.gz') ? '1f8b' : 'PGDMP');
      expect((await p.tm(['psql', '-c', 'update seeded set v = 0; create table extra (x int)'])).exitCode).toBe(0);
      const imported = await p.tm(['db', 'import', name, '--yes', '--json']);
      expect(imported.exitCode, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ database: 'loop_db', file: name, format: name.endsWith('.dump') ? 'custom' : 'sql' });
      // The rows as dumped, and what was made after the dump gone: replaced, not merged into.
      const after = await p.tm(['psql', '-tAc', "select count(*), sum(v), to_regclass('extra') is null from seeded"]);
      expect(after.stdout.trim()).toBe('3000|4501500|t');
    });

    it('tm db dump without a file writes plain SQL on stdout', async () => {
      expect((await p.tm(['psql', '-c', 'create table if not exists on_stdout (v int)'])).exitCode).toBe(0);
      const out = await p.tm(['db', 'dump']);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(out.stdout).toContain('CREATE TABLE public.on_stdout');
    });

    it('tm db import asks first, refuses a file it cannot read, and a failing file leaves no half import', async () => {
      await writeFile(join(p.dir, 'bad.sql'), 'create table half (v int);\nthis is not sql;\n');
      const unasked = await p.tm(['db', 'import', 'bad.sql']);
      expect(unasked.exitCode).toBe(2);
      expect(unasked.stderr).toContain('--yes');
      expect((await p.tm(['db', 'import', 'missing.sql', '--yes'])).exitCode).toBe(2);
      expect((await p.tm(['db', 'import', 'bad.txt', '--yes'])).stderr).toContain('TM_DUMP_FORMAT');
      const bad = await p.tm(['db', 'import', 'bad.sql', '--yes']);
      expect(bad.exitCode).toBe(6);
      expect(bad.stderr).toContain('syntax error');
      expect((await p.tm(['psql', '-tAc', "select to_regclass('half') is null"])).stdout.trim()).toBe('t');
      // Not on this machine: refused before anything is asked or changed, as tm db reset does.
      const remote = await p.tm(['db', 'import', 'bad.sql', '--yes', '--database-url', 'postgres://u:p@db.example.invalid/app']);
      expect(remote.exitCode).toBe(2);
      expect(remote.stderr).toContain('not on this machine');
    });

    it("tm exec runs a command with the service's variables and passes its exit code", async () => {
      const r = await p.tm(['exec', 'postgres', '--', 'sh', '-c', 'echo "$PGUSER $PGDATABASE"; exit 7']);
      expect(r.exitCode, r.stderr).toBe(7);
      expect(r.stdout.trim()).toBe('loop_user loop_db');
    });
  });
}

describe('daily-loop clients on native, without a server or a client', () => {
  let p: TempProject;
  beforeAll(async () => {
    p = await tempProject({ name: 'loop', runtime: 'native', extra: '  api: { command: "node -e 0", cwd: web, env: { GREETING: hello } }\n' });
    await mkdir(join(p.dir, 'web'));
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it("tm exec APP runs in the app's folder with the environment tm gives it, running or not", async () => {
    const r = await p.tm(['exec', 'api', '--', 'sh', '-c', 'echo "$(pwd) $GREETING $PORT"; echo "$DATABASE_URL" | cut -d@ -f2']);
    expect(r.exitCode, r.stderr).toBe(0);
    const [where, url] = r.stdout.trim().split('\n');
    expect(where).toMatch(/\/web hello $/);
    expect(url).toBe(`127.0.0.1:${p.pgPort}/loop_db`);
  });

  it('a client needs its server: exit 4 with the fix', async () => {
    const r = await p.tm(['psql', '-c', 'select 1']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('TM_NOT_RUNNING');
    expect(r.stderr).toContain('tm up postgres');
  });

  it('a dump needs its server: exit 4, and no file is written', async () => {
    const r = await p.tm(['db', 'dump', 'x.sql']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('TM_NOT_RUNNING');
    expect(existsSync(join(p.dir, 'x.sql'))).toBe(false);
  });

  it('a program that is not installed: exit 4 saying how to install it', async () => {
    const r = await p.tm(['exec', 'api', '--', 'tm-no-such-program']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('TM_CLIENT_MISSING');
    expect(r.stderr).toContain('tm-no-such-program was not found on this machine');
  });

  it('tm shell refuses a service without a client', async () => {
    const r = await p.tm(['shell', 'api']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('tm exec api -- CMD');
  });
});

describe('tm open', () => {
  let p: TempProject;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    p = await tempProject({ name: 'loop', runtime: 'native', extra: `  web: { command: "node -e 0", port: ${port} }\n` });
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it("prints an app's URL and succeeds without a display", async () => {
    const r = await p.tm(['open'], { env: { DISPLAY: '', WAYLAND_DISPLAY: '' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`http://localhost:${port}`);
    const json = JSON.parse((await p.tm(['open', 'web', '--json'], { env: { DISPLAY: '' } })).stdout);
    expect(json).toMatchObject({ service: 'web', url: `http://localhost:${port}`, opened: false, urls: [{ service: 'web', url: `http://localhost:${port}` }] });
  });

  it('opens it with xdg-open on a desktop', async () => {
    // No desktop here: a stand-in xdg-open on PATH records what it was asked to open.
    const bin = join(p.dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${join(p.dir, 'opened.txt')}\n`, { mode: 0o755 });
    const r = await p.tm(['open', 'web', '--json'], { env: { DISPLAY: ':0', PATH: `${bin}:${process.env.PATH}` } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ opened: true, with: 'xdg-open' });
    await expect.poll(() => readFile(join(p.dir, 'opened.txt'), 'utf8').catch(() => '')).toBe(`http://localhost:${port}\n`);
  });

  it('a service without a web page: exit 2 naming those with one', async () => {
    const r = await p.tm(['open', 'postgres']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('services with one: web');
  });
});
