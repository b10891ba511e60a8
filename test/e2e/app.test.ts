import { cp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, processesMentioning, tempProject, type TempProject } from '../helpers/project.js';

// An app service beside its databases on local binaries: the fixture's /health/ready
// answers 200 only when the Postgres and Redis it was given answer.
const FIXTURE = resolve(import.meta.dirname, '../fixtures/app/server.mjs');
const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.cleanup()));
});

async function appProject(extraEnv = '') {
  const port = await freePort();
  const p = await tempProject({
    name: 'withapp',
    extra: `  app:
    command: node server.mjs
    port: ${port}
    health: http://127.0.0.1:${port}/health/ready
    depends_on: [postgres, redis]
${extraEnv}`, // services: is the last block, so this lands under it
  });
  await cp(FIXTURE, join(p.dir, 'server.mjs'));
  projects.push(p);
  return { p, port };
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

    expect((await p.tm(['restart', 'app'])).exitCode).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);

    expect((await p.tm(['down'])).exitCode).toBe(0);
    expect(await processesMentioning('server.mjs')).toEqual([]);
    expect((await p.tm(['logs', 'app'])).stdout).toContain('app stopping');
  });

  it('an app that exits at start fails tm up with exit 5 and its last log lines; status shows the exit code', async () => {
    const { p } = await appProject('    env: { FAIL_AT_START: "1" }\n');
    const r = await p.tm(['up']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('error TM_SERVICE_EXITED app exited during start (code 1)');
    expect(r.stderr).toContain('fatal: FAIL_AT_START is set');
    const app = JSON.parse((await p.tm(['status', '--json'])).stdout).services.find((s: { name: string }) => s.name === 'app');
    expect(app).toMatchObject({ state: 'stopped', exit_code: 1 });
  });

  it('refuses a dependency cycle and an unknown dependency (exit 3)', async () => {
    const { p } = await appProject();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(p.dir, 'cycle.yml'), 'services:\n  a: { command: x, depends_on: [b] }\n  b: { command: y, depends_on: [a] }\n');
    const cycle = await p.tm(['--config', 'cycle.yml', 'up']);
    expect(cycle.exitCode).toBe(3);
    expect(cycle.stderr).toContain('dependency cycle: a -> b -> a');
    await writeFile(join(p.dir, 'unknown.yml'), 'services:\n  a: { command: x, depends_on: [nope] }\n');
    expect((await p.tm(['--config', 'unknown.yml', 'up'])).stderr).toContain('depends on "nope", which is not a service');
  });

  it('runs commands without a shell', async () => {
    const { p } = await appProject();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(p.dir, 'shell.yml'), 'runtime: native\nservices:\n  a: { command: "node x.js && rm -rf /tmp/x", port: 1234 }\n');
    const r = await p.tm(['--config', 'shell.yml', 'up']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('tm runs commands without a shell');
  });
});
