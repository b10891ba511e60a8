import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/runtime/native/proc.js';
import { freePort, processesMentioning, tempProject, type TempProject } from '../helpers/project.js';

const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.cleanup()));
});

/**
 * A project whose app runs `fixture` (from test/fixtures/app) on a free port; `yaml` is the
 * app's entry under services: (the last block, so it lands there).
 */
async function fixtureProject(opts: { name: string; fixture: string; yaml: (port: number) => string }) {
  const port = await freePort();
  const p = await tempProject({ name: opts.name, extra: opts.yaml(port) });
  await cp(resolve(import.meta.dirname, '../fixtures/app', opts.fixture), join(p.dir, opts.fixture));
  projects.push(p);
  return { p, port };
}

/**
 * An app service beside its databases on local binaries: the fixture's /health/ready
 * answers 200 only when the Postgres and Redis it was given answer.
 */
function appProject(extraEnv = '', dependsOn = 'postgres, redis') {
  return fixtureProject({
    name: 'withapp',
    fixture: 'server.mjs',
    yaml: (port) => `  app:
    command: node server.mjs
    port: ${port}
    health: http://127.0.0.1:${port}/health/ready
    depends_on: [${dependsOn}]
${extraEnv}`,
  });
}

/** An app whose parent exits on SIGTERM while its child ignores it and keeps serving. */
function stubbornProject() {
  return fixtureProject({
    name: 'stubborn',
    fixture: 'stubborn.mjs',
    yaml: (port) => `  app:
    command: node stubborn.mjs
    port: ${port}
    health: http://127.0.0.1:${port}/
    stop_grace_period: 1s
`,
  });
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('app services on the native runtime', () => {
  it('starts after Postgres and Redis, is ready when its health URL answers, logs, and stops with tm down', async () => {
    const { p, port } = await appProject();
    const r = await p.tm(['up', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const services = JSON.parse(r.stdout).services;
    expect(services.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['postgres', 'started'],
      ['redis', 'started'],
      ['app', 'started'],
    ]);
    // The app was started after its dependencies were ready: its first readiness answer was ok.
    const byName = Object.fromEntries(services.map((s: { name: string; ready_ms: number }) => [s.name, s.ready_ms]));
    expect(byName.app).toBeGreaterThan(Math.max(byName.postgres, byName.redis));
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.map((c: { status: string }) => c.status)).toEqual(['ok', 'ok']);

    const status = JSON.parse((await p.tm(['status', '--json'])).stdout).services.find((s: { name: string }) => s.name === 'app');
    expect(status).toMatchObject({ state: 'running', health: 'ok' });
    expect((await p.tm(['logs', 'app'])).stdout).toContain(`app listening on ${port}`);

    // The pid shown is the app's own process, not its supervisor's.
    expect(await commandLine(status.pid)).toContain('server.mjs');

    const pids = async () =>
      Object.fromEntries(JSON.parse((await p.tm(['status', '--json'])).stdout).services.map((s: { name: string; pid: number }) => [s.name, s.pid]));
    const before = await pids();
    expect((await p.tm(['restart', 'app'])).exitCode).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    const after = await pids();
    expect(after.app).not.toBe(before.app);
    expect([after.postgres, after.redis]).toEqual([before.postgres, before.redis]);

    expect((await p.tm(['down'])).exitCode).toBe(0);
    expect(await processesMentioning('server.mjs')).toEqual([]);
    expect((await p.tm(['logs', 'app'])).stdout).toContain('app stopping');
  });

  it('an app that exits at start fails tm up with exit 5 and its last log lines; status shows the exit code', async () => {
    const { p } = await appProject();
    // A run that went well first: its lines are in the same log, but not in the crash report.
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await p.tm(['down'])).exitCode).toBe(0);
    const yml = await readFile(join(p.dir, 'taskmaster.yml'), 'utf8');
    await writeFile(join(p.dir, 'taskmaster.yml'), `${yml}    env: { FAIL_AT_START: "1" }\n`);
    const r = await p.tm(['up']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('error TM_SERVICE_EXITED app exited during start (code 1)');
    expect(r.stderr).toContain('fatal: FAIL_AT_START is set');
    expect(r.stderr).not.toContain('app listening');
    expect(r.stderr).not.toContain('app stopping');
    const app = JSON.parse((await p.tm(['status', '--json'])).stdout).services.find((s: { name: string }) => s.name === 'app');
    expect(app).toMatchObject({ state: 'stopped', exit_code: 1 });
  });

  it('an app that dies at its first import: the error names the line that says why, not only the stack trace below it', async () => {
    const port = await freePort();
    const p = await tempProject({ name: 'noexpress', extra: `  app:\n    command: node app.mjs\n    port: ${port}\n` });
    projects.push(p);
    // No package.json (so tm cannot tell beforehand), and no express anywhere above the folder.
    await writeFile(join(p.dir, 'app.mjs'), "import express from 'express';\nexpress().listen(Number(process.env.PORT));\n");
    const r = await p.tm(['up', 'app']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(
      /^error TM_SERVICE_EXITED app exited during start \(code 1\): Error \[ERR_MODULE_NOT_FOUND\]: Cannot find package 'express' imported from /m,
    );
    // The last lines too (the stack trace ends with Node's version).
    expect(r.stderr).toContain(`Node.js ${process.version}`);
  });

  it('an app whose package.json declares dependencies that were never installed: refused before anything starts (exit 4)', async () => {
    const port = await freePort();
    const p = await tempProject({
      name: 'notinstalled',
      extra: `  web:\n    command: node server.js\n    cwd: web\n    port: ${port}\n    depends_on: [postgres]\n`,
    });
    projects.push(p);
    await mkdir(join(p.dir, 'web'));
    await writeFile(join(p.dir, 'web', 'package.json'), JSON.stringify({ name: 'web', dependencies: { express: '^4.21.2' } }));
    const r = await p.tm(['up']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain(
      'error TM_APP_NOT_INSTALLED web: web/package.json declares dependencies, but they are not installed (no node_modules); nothing was started',
    );
    expect(r.stderr).toContain('hint: cd web && npm install');
    expect(JSON.parse((await p.tm(['status', '--json'])).stdout).services.map((s: { state: string }) => s.state)).toEqual(['stopped', 'stopped', 'stopped']);
    // With a pnpm lockfile the fix is pnpm's; once installed, the check lets it through.
    await writeFile(join(p.dir, 'web', 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
    expect((await p.tm(['up'])).stderr).toContain('hint: cd web && pnpm install');
    await mkdir(join(p.dir, 'web', 'node_modules'));
    expect((await p.tm(['up'])).stderr).not.toContain('TM_APP_NOT_INSTALLED');
  });

  it('tm down stops the whole process group: a child that ignores SIGTERM after its parent exited', async () => {
    const { p, port } = await stubbornProject();
    const r = await p.tm(['up']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await processesMentioning('stubborn.mjs')).toHaveLength(2);
    const down = await p.tm(['down']);
    expect(down.exitCode).toBe(0);
    // The child had to be killed: the stop was forced, and tm down says so.
    expect(down.stdout).toContain('app: killed');
    expect(down.stdout).not.toContain('app: stopped');
    expect(await processesMentioning('stubborn.mjs')).toEqual([]);
    expect(
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => 'answered',
        () => 'refused',
      ),
    ).toBe('refused');
    expect(await readFile(join(p.dir, '.taskmaster/logs/app.log'), 'utf8')).toContain('child ignores SIGTERM');
  });

  it('an app whose supervisor was killed is still found by its process group: status, down, up', async () => {
    const { p, port } = await stubbornProject();
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const record = JSON.parse(await readFile(join(p.dir, '.taskmaster/run/app.pid'), 'utf8'));
    process.kill(record.pid, 'SIGKILL');
    await waitUntil(async () => !(await commandLine(record.pid)));
    const status = await p.tm(['status', '--json']);
    const app = JSON.parse(status.stdout).services.find((s: { name: string }) => s.name === 'app');
    expect(app).toMatchObject({ state: 'running', health: 'ok' });
    expect(app.detail).toContain(`its supervisor (pid ${record.pid}) is gone`);
    expect(await commandLine(app.pid)).toContain('stubborn.mjs');
    expect((await p.tm(['down'])).exitCode).toBe(0);
    expect(await processesMentioning('stubborn.mjs')).toEqual([]);
    // Nothing left holding the port: the next tm up starts it again.
    const again = await p.tm(['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it('a one-shot job (no port, no health) runs to completion before what depends on it; a failing one stops tm up', async () => {
    const { p } = await appProject('  migrate:\n    command: node job.mjs\n', 'postgres, redis, migrate');
    await writeFile(
      join(p.dir, 'job.mjs'),
      'await new Promise((r) => setTimeout(r, 300));\nif (process.env.JOB_FAILS) { ' +
        "console.error('job: cannot migrate'); process.exit(3); }\nconsole.log('job: done');\n",
    );
    const r = await p.tm(['up', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const services = JSON.parse(r.stdout).services;
    const ready = Object.fromEntries(services.map((s: { name: string; ready_ms: number }) => [s.name, s.ready_ms]));
    expect(ready.migrate).toBeGreaterThan(300);
    expect(ready.app).toBeGreaterThan(ready.migrate);
    expect((await p.tm(['logs', 'migrate'])).stdout).toContain('job: done');
    expect((await p.tm(['down'])).exitCode).toBe(0);

    const failing = await p.tm(['up'], { env: { JOB_FAILS: '1' } });
    expect(failing.exitCode).toBe(5);
    expect(failing.stderr).toContain('error TM_SERVICE_EXITED migrate exited before completing (code 3)');
    expect(failing.stderr).toContain('job: cannot migrate');
    // A job has no port, and its progress line names none.
    expect(failing.stderr).toMatch(/^starting migrate$/m);
    expect(failing.stderr).not.toContain('port undefined');
    expect(await processesMentioning('server.mjs')).toEqual([]);
  });

  it('refuses a dependency cycle and an unknown dependency (exit 3)', async () => {
    const { p } = await appProject();
    await writeFile(join(p.dir, 'cycle.yml'), 'services:\n  a: { command: x, depends_on: [b] }\n  b: { command: y, depends_on: [a] }\n');
    const cycle = await p.tm(['--config', 'cycle.yml', 'up']);
    expect(cycle.exitCode).toBe(3);
    expect(cycle.stderr).toContain('dependency cycle: a -> b -> a');
    await writeFile(join(p.dir, 'unknown.yml'), 'services:\n  a: { command: x, depends_on: [nope] }\n');
    expect((await p.tm(['--config', 'unknown.yml', 'up'])).stderr).toContain('depends on "nope", which is not a service');
  });

  it('runs commands without a shell', async () => {
    const { p } = await appProject();
    await writeFile(join(p.dir, 'shell.yml'), 'runtime: native\nservices:\n  a: { command: "node x.js && rm -rf /tmp/x", port: 1234 }\n');
    const r = await p.tm(['--config', 'shell.yml', 'up']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('tm runs commands without a shell');
  });
});
