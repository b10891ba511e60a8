import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { appendFile, chmod, cp, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectEngine } from '../../src/runtime/docker/detect.js';
import { freePort, processesMentioning, TM, tempProject, type ProjectOptions, type TempProject } from '../helpers/project.js';
import { postgresProgram } from '../helpers/postgres-bin.js';

// Against the real engine of ../shared/tools/docker-engine.sh, with its stand-in images.
const IMAGES = { postgres: 'standin/postgres:15', redis: 'standin/redis:7' };
const { engine, rejected } = await detectEngine();
if (!engine) {
  const why = rejected.map((r) => `${r.source}: ${r.reason}`).join('; ');
  if (process.env.TM_REQUIRE_DOCKER) throw new Error(`TM_REQUIRE_DOCKER is set but no Docker engine answers (${why})`);
  console.warn(`skipping Docker runtime tests: no Docker engine answers (${why})`);
}

const PSQL = await postgresProgram('psql');
const docker = (...args: string[]) => execa('docker', args, { reject: false }).then((r) => String(r.stdout).trim());
/** Containers, volumes and networks labelled with the project's compose name. */
async function leftovers(p: TempProject): Promise<string[]> {
  const prefix = await composeName(p);
  const out = [
    await docker('ps', '-a', '--filter', `label=com.docker.compose.project=${prefix}`, '--format', '{{.Names}}'),
    await docker('volume', 'ls', '--filter', `label=com.docker.compose.project=${prefix}`, '--format', '{{.Name}}'),
    await docker('network', 'ls', '--filter', `label=com.docker.compose.project=${prefix}`, '--format', '{{.Name}}'),
  ];
  return out.join('\n').split('\n').filter(Boolean);
}
async function composeName(p: TempProject): Promise<string> {
  return /^name: (.+)$/m.exec(await readFile(`${p.dir}/.taskmaster/compose.yml`, 'utf8'))![1]!;
}

describe.skipIf(!engine)('docker runtime', () => {
  let p: TempProject;
  beforeAll(async () => {
    p = await tempProject({ name: 'dock', runtime: 'docker', images: IMAGES });
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('brings postgres and redis up, reachable on the published ports, data surviving down + up', async () => {
    const up = await p.tm(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).runtime).toBe('docker');
    const psql = (sql: string) =>
      execa(PSQL, ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'dock_user', '-d', 'dock_db', '-tAc', sql], {
        env: { PGPASSWORD: 'pw-dock-secret' },
        reject: false,
      });
    expect((await psql('SELECT current_user')).stdout.trim()).toBe('dock_user');
    expect((await execa('redis-cli', ['-p', String(p.redisPort), 'ping'])).stdout.trim()).toBe('PONG');
    // The password is handed to compose through its environment, never written to the file.
    expect(await readFile(`${p.dir}/.taskmaster/compose.yml`, 'utf8')).not.toContain('pw-dock-secret');

    await psql('CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await execa('redis-cli', ['-p', String(p.redisPort), 'set', 'kept', 'yes']);
    expect((await p.tm(['down'])).exitCode).toBe(0);
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await psql('SELECT v FROM kept')).stdout.trim()).toBe('42');
    expect((await execa('redis-cli', ['-p', String(p.redisPort), 'get', 'kept'])).stdout.trim()).toBe('yes');

    const logs = await p.tm(['logs', 'redis', '--tail', '20']);
    expect(logs.stdout).toMatch(/Ready to accept connections/);
  });

  it('reports a container killed with docker kill in status and health', async () => {
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const id = await docker(
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${await composeName(p)}`,
      '--filter',
      'label=com.docker.compose.service=redis',
    );
    expect(id).not.toBe('');
    await docker('kill', id);
    const status = JSON.parse((await p.tm(['status', '--json'])).stdout);
    const redis = status.services.find((s: { name: string }) => s.name === 'redis');
    expect(redis.state).toBe('stopped');
    expect(redis.container.state).toBe('exited');
    expect(redis.detail).toMatch(/exit code 137/);
    const health = await p.tm(['health', '--json']);
    expect(health.exitCode).toBe(1);
    expect(JSON.parse(health.stdout).checks.redis.status).toBe('error');
  });

  it('down --volumes leaves no container, volume or network of the project', async () => {
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await leftovers(p)).length).toBeGreaterThan(0);
    expect((await p.tm(['down', '--volumes'])).exitCode).toBe(0);
    expect(await leftovers(p)).toEqual([]);
  });
});

describe.skipIf(!engine)('docker runtime: an app service', () => {
  let p: TempProject;
  afterAll(async () => {
    await p?.cleanup();
  });

  it('builds the app from the project, starts it after its dependencies are ready (a one-shot job, another app), probes its health URL', async () => {
    const port = await freePort();
    const webPort = await freePort();
    p = await tempProject({
      name: 'dockapp',
      runtime: 'docker',
      images: IMAGES,
      // migrate: a one-shot job from an image without a CMD; web: an app on an app, run by its
      // command (so node can be its healthcheck).
      extra: `  migrate:
    image: standin/debian:bookworm
    command: ["sh", "-c", "sleep 0.3; echo migrated"]
  app:
    build: app
    port: ${port}
    health: http://127.0.0.1:${port}/health/ready
    depends_on: [postgres, redis, migrate]
  web:
    build: app
    command: node /app/server.mjs
    port: ${webPort}
    health: http://127.0.0.1:${webPort}/health/ready
    depends_on: [app]
`,
    });
    // The app image: the stand-in Debian base with this machine's node copied in.
    await mkdir(`${p.dir}/app`);
    await cp(await realpath(process.execPath), `${p.dir}/app/node`);
    await cp(new URL('../fixtures/app/server.mjs', import.meta.url), `${p.dir}/app/server.mjs`);
    await writeFile(
      `${p.dir}/app/Dockerfile`,
      'FROM standin/debian:bookworm\nCOPY node /usr/local/bin/node\nCOPY server.mjs /app/server.mjs\nUSER nobody\nCMD ["node", "/app/server.mjs"]\n',
    );
    const r = await p.tm(['up', '--json'], { timeout: 180_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const services = JSON.parse(r.stdout).services;
    expect(services.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['postgres', 'started'],
      ['redis', 'started'],
      ['migrate', 'started'],
      ['app', 'started'],
      ['web', 'started'],
    ]);
    const byName = Object.fromEntries(services.map((s: { name: string; ready_ms: number }) => [s.name, s.ready_ms]));
    expect(byName.migrate).toBeGreaterThan(0);
    expect(byName.app).toBeGreaterThan(Math.max(byName.postgres, byName.redis, byName.migrate));
    expect(byName.web).toBeGreaterThan(byName.app);
    expect((await (await fetch(`http://127.0.0.1:${webPort}/health/ready`)).json()).status).toBe('ok');
    // The job ran once (a later level does not start it again) and counts as done.
    expect((await p.tm(['logs', 'migrate'])).stdout.match(/migrated/g)).toHaveLength(1);
    // Inside the network the app reaches its databases by service name.
    const ready = await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json();
    expect(ready.checks.map((c: { status: string }) => c.status)).toEqual(['ok', 'ok']);
    const compose = await readFile(`${p.dir}/.taskmaster/compose.yml`, 'utf8');
    expect(compose).toMatch(/depends_on:\n\s+postgres:\n\s+condition: service_healthy/);
    expect(compose).toMatch(/migrate:\n\s+condition: service_completed_successfully/);
    // app runs the image's CMD, so tm cannot know a tool to check it with: web waits for it to start.
    expect(compose).toMatch(/depends_on:\n\s+app:\n\s+condition: service_started/);
    // web's healthcheck runs through node: the engine reports it healthy.
    let health: string | undefined;
    for (let i = 0; i < 200 && health !== 'healthy'; i++) {
      health = JSON.parse((await p.tm(['status', '--json', 'web'])).stdout).services[0].container.health;
      if (health !== 'healthy') await new Promise((r) => setTimeout(r, 100));
    }
    expect(health).toBe('healthy');
    expect(compose).not.toContain('pw-dockapp-secret');
    expect((await p.tm(['logs', 'app'])).stdout).toContain(`app listening on ${port}`);
  }, 240_000);
});

describe.skipIf(!engine)('docker runtime: before anything starts', () => {
  const projects: TempProject[] = [];
  afterEach(async () => {
    await Promise.all(projects.splice(0).map((p) => p.cleanup()));
  });
  /** A project on the Docker runtime with the stand-in images, removed after the test. */
  async function dockerProject(name: string, opts: Omit<ProjectOptions, 'name'> = {}) {
    const p = await tempProject({ name, runtime: 'docker', images: IMAGES, ...opts });
    projects.push(p);
    return p;
  }

  it('reports a taken port with its holder and creates no container', async () => {
    const p = await dockerProject('clash');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(p.pgPort, '127.0.0.1', r));
    try {
      const r = await p.tm(['up', '--ports', 'fixed']);
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toContain(`port ${p.pgPort} (postgres) already in use`);
      expect(r.stderr).toContain(`pid ${process.pid}`);
      expect(
        await docker('ps', '-a', '--filter', 'label=com.docker.compose.service=postgres', '--filter', `publish=${p.pgPort}`, '--format', '{{.Names}}'),
      ).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('tm down says so when a container had to be killed after stop_grace_period, and not for one that stopped', async () => {
    // sleep as PID 1 has no SIGTERM handler, and the kernel ignores the signal for it: only SIGKILL ends it.
    const p = await dockerProject('stubborn', {
      extra: `  worker:\n    image: standin/debian:bookworm\n    command: ["sleep", "infinity"]\n    stop_grace_period: 1s\n`,
    });
    const up = await p.tm(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const down = await p.tm(['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain('worker: killed');
    expect(down.stdout).toContain('✓ postgres: stopped');
  });

  it('a switch of runtime is said, and every command then acts where the services run', async () => {
    const p = await dockerProject('switch');
    const native = () => processesMentioning(` -p ${p.pgPort} `);
    expect((await p.tm(['up', '--no-seed'])).exitCode).toBe(0);
    expect((await p.tm(['down'])).exitCode).toBe(0);
    // The data is in Docker volumes: the native runtime starts from its own, and says so.
    const up = await p.tm(['up', '--runtime', 'native']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/warning this project last ran on docker: its data stays in Docker volumes/);
    expect(await native()).toHaveLength(1);
    // runtime: docker in taskmaster.yml, but the services run natively: that is where commands act.
    const status = await p.tm(['status', '--json']);
    expect(JSON.parse(status.stdout).services.map((s: { state: string }) => s.state)).toEqual(['running', 'running']);
    const doctor = await p.tm(['doctor']);
    expect(doctor.stdout).toContain(`ports: postgres: ${p.pgPort} held by this project's postgres`);
    expect(doctor.stdout).toContain('runtime: native (postgres, redis run on the native runtime');
    // A second copy on Docker is refused while they run.
    const again = await p.tm(['up']);
    expect(again.exitCode).toBe(4);
    expect(again.stderr).toContain('TM_RUNTIME_SWITCH');
    expect(again.stderr).toContain('hint: stop them first with tm down');
    const down = await p.tm(['down']);
    expect(down.stdout).toContain('✓ postgres: stopped');
    expect(await native()).toEqual([]);
    await p.tm(['down', '--volumes', '--runtime', 'native']);
  }, 240_000);

  it('auto picks docker when the engine runs, native when DOCKER_HOST points nowhere', async () => {
    const p = await dockerProject('auto', { runtime: 'auto' });
    const onDocker = await p.tm(['up', '--json', '--verbose']);
    expect(onDocker.exitCode, onDocker.stderr).toBe(0);
    expect(JSON.parse(onDocker.stdout).runtime).toBe('docker');
    expect((await p.tm(['down', '--volumes'])).exitCode).toBe(0);
    await rm(`${p.dir}/.taskmaster`, { recursive: true, force: true });

    const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    const native = await p.tm(['up', '--json'], { env });
    expect(native.exitCode, native.stderr).toBe(0);
    expect(JSON.parse(native.stdout).runtime).toBe('native');
    expect((await p.tm(['down', '--volumes'], { env })).exitCode).toBe(0);
  });

  it('names an image that is not on the machine and cannot be pulled, with how to get it', async () => {
    const p = await dockerProject('noimage', { images: { postgres: 'tm-test-absent/postgres:99', redis: IMAGES.redis } });
    const r = await p.tm(['up']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('error TM_IMAGE_UNAVAILABLE image tm-test-absent/postgres:99 (services.postgres.image) is not on this machine');
    expect(r.stderr).toContain('hint: docker pull tm-test-absent/postgres:99');
  });

  it("names a build's missing base image, with the fix (--base-image), no placeholder left", async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const p = await dockerProject('nobase', { extra: '  web:\n    build: web\n    command: node -e 0\n' });
    await mkdir(`${p.dir}/web`);
    await writeFile(`${p.dir}/web/Dockerfile`, 'FROM tm-test-absent/base:1\nCMD ["node"]\n');
    const r = await p.tm(['up', 'web']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain("error TM_IMAGE_UNAVAILABLE the build's base image tm-test-absent/base:1 is not on this machine and cannot be pulled");
    expect(r.stderr).toContain('tm render dockerfile --base-image IMAGE');
    expect(r.stderr).not.toMatch(/see below|<svc>/);
  });

  it("uses the project's own compose file when docker.compose_file is set", async () => {
    const p = await dockerProject('ownfile', { password: 'own-file-pw' });
    expect((await p.tm(['render', 'compose', '--out', 'docker-compose.yml'])).exitCode).toBe(0);
    await writeFile(`${p.dir}/.env`, 'POSTGRES_PASSWORD=own-file-pw\n');
    const yml = await readFile(`${p.dir}/taskmaster.yml`, 'utf8');
    await writeFile(`${p.dir}/taskmaster.yml`, `${yml}docker:\n  compose_file: docker-compose.yml\n`);
    const r = await p.tm(['up', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).services.map((s: { state: string }) => s.state)).toEqual(['started', 'started']);
    expect(existsSync(`${p.dir}/.taskmaster/compose.yml`)).toBe(false); // tm rendered nothing of its own
    expect((await p.tm(['down', '--volumes'])).exitCode).toBe(0);
  });

  it('a one-shot job that fails, or a service that exits at start, fails tm up with exit 5 and its output', async () => {
    const p = await dockerProject('oneshot', {
      extra:
        `  job:\n    image: standin/debian:bookworm\n    command: ["sh", "-c", "echo cannot migrate >&2; exit ` +
        `3"]\n  after:\n    image: standin/debian:bookworm\n    command: ["sleep", "600"]\n    depends_on: [job]\n`,
    });
    const r = await p.tm(['up']);
    expect(r.exitCode, r.stderr).toBe(5);
    expect(r.stderr).toContain('error TM_SERVICE_EXITED job container exited before completing (exit code 3)');
    expect(r.stderr).toContain('cannot migrate');
    const after = JSON.parse((await p.tm(['status', '--json', 'after'])).stdout).services[0];
    expect(after.state).toBe('stopped');
    const yml = (await readFile(`${p.dir}/taskmaster.yml`, 'utf8')).replace(/ {2}job:[\s\S]*$/, '');
    const port = await freePort();
    await writeFile(
      `${p.dir}/taskmaster.yml`,
      `${yml}  crash:\n    image: standin/debian:bookworm\n    command: ["sh", "-c", "echo ` +
        `crashed at start; exit 1"]\n    port: ${port}\n    health: http://127.0.0.1:${port}/\n`,
    );
    const crash = await p.tm(['up']);
    expect(crash.exitCode, crash.stderr).toBe(5);
    expect(crash.stderr).toContain('error TM_SERVICE_EXITED crash container exited during start (exit code 1)');
    expect(crash.stderr).toContain('crashed at start');
  });

  it('a failing compose up names the error, not the build progress before it', async () => {
    const p = await dockerProject('badstart', { extra: '  app:\n    build: app\n    command: ["no-such-program"]\n' });
    await mkdir(`${p.dir}/app`);
    await writeFile(`${p.dir}/app/Dockerfile`, 'FROM standin/debian:bookworm\nRUN for i in 1 2 3 4 5 6 7 8 9 10; do echo build step output $i; done\n');
    const r = await p.tm(['up'], { timeout: 180_000 });
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toContain('error TM_COMPOSE_FAILED docker compose up failed');
    expect(r.stderr).toMatch(/no-such-program.*(executable file not found|no such file)/);
    expect(r.stderr).not.toMatch(/build step output|^\s*#\d+ |Container \S+\s+(Creat|Start)/m);
  }, 240_000);

  it('DOCKER_CONTEXT naming no context is a rejected candidate, and no other engine stands in', async () => {
    const { DOCKER_HOST: _, ...env } = process.env;
    const r = await detectEngine({ ...env, DOCKER_CONTEXT: 'tm-test-nosuch' });
    expect(r.engine).toBeUndefined();
    expect(r.rejected).toEqual([{ source: 'DOCKER_CONTEXT tm-test-nosuch', reason: 'no such context in ~/.docker/contexts' }]);
  });

  it('says permission denied when the user may not use the socket (exit 4)', async () => {
    const p = await dockerProject('denied');
    await chmod(p.dir, 0o755);
    // As root every socket opens; an unprivileged user meets the socket's permissions.
    const r = await execa('runuser', ['-u', 'nobody', '--', process.execPath, TM, '-C', p.dir, 'status'], {
      reject: false,
      env: { NO_COLOR: '1', HOME: '/nonexistent' },
    });
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/error TM_RUNTIME_UNAVAILABLE .*but permission denied on \S+docker\.sock/);
    expect(r.stderr).not.toContain('no Docker engine answers');
  });

  it('the first tm up creates .env before it would warn about variables .env defines', async () => {
    const p = await dockerProject('firstup', { password: '${POSTGRES_PASSWORD}' });
    await appendFile(`${p.dir}/taskmaster.yml`, 'env:\n  POSTGRES_PASSWORD: { type: secret, generate: true, min: 24 }\n');
    const r = await p.tm(['up']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('created .env');
    expect(r.stderr).not.toContain('is not set');
  });

  it('refuses runtime: docker when no engine answers, with the fix (exit 4)', async () => {
    const p = await dockerProject('noengine');
    const r = await p.tm(['up'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('TM_RUNTIME_UNAVAILABLE');
    expect(r.stderr).toContain('/nonexistent/docker.sock does not exist');
  });
});
