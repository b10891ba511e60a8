import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerUnavailable } from '../helpers/container.js';
import { processesMentioning, TM, tempProject, type TempProject } from '../helpers/project.js';

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
  if (up.exitCode !== 0) throw new Error(`tm up failed: ${up.stderr}`);
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
    for (const line of await processesMentioning(marker)) if (!line.includes(TM)) programs.add(line.replace(/^\d+ /, ''));
    for (const secret of secrets) for (const line of await processesMentioning(secret)) leaks.add(line);
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
      const watched = await watchArgv(p, ['redis-cli', 'blpop', 'loop-nothing', '1'], 'loop-nothing', [REDIS_PASSWORD]);
      expect(watched.result.exitCode, String(watched.result.stderr)).toBe(0);
      expect(watched.programs.some((c) => /redis-cli|docker/.test(c))).toBe(true);
      expect(watched.leaks).toEqual([]);
    });

    it('tm psql keeps the password off every command line while the client runs', async () => {
      const watched = await watchArgv(p, ['psql', '-c', 'select pg_sleep(1.5) as loop_marker'], 'loop_marker', ['pw-loop-secret']);
      expect(watched.result.exitCode, String(watched.result.stderr)).toBe(0);
      expect(watched.programs.some((c) => /psql|docker/.test(c))).toBe(true);
      expect(watched.leaks).toEqual([]);
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
