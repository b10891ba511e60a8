import { execa } from 'execa';
import { rm } from 'node:fs/promises';
import { expect } from 'vitest';
import { freePort, TM } from './project.js';

// What the projects of several service kinds (one per runtime) share: distinct free ports,
// the real `tm` run in the project, and what `tm health --json` must say of each service.

/** The passwords the kinds tests configure: none may reach tm's output. */
export const KIND_PASSWORDS = { postgres: 'pg-kinds-secret', rabbitmq: 'mq-kinds-secret', mariadb: 'db-kinds-secret' };

/** How long a whole bring-up or tear-down of such a project may take. */
export const KINDS_READY_MS = 300_000;

/** A free loopback port for each name, all different. */
export async function distinctPorts(names: string[]): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const n of names) {
    let p = await freePort();
    while (Object.values(ports).includes(p)) p = await freePort();
    ports[n] = p;
  }
  return ports;
}

/** The built CLI in `dir`. */
export async function runTm(dir: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1' }, timeout: KINDS_READY_MS });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** `tm health --json` in `dir`: every check ok with a latency; returns each check's target by service. */
export async function healthTargets(dir: string): Promise<{ targets: Record<string, string>; output: string }> {
  const health = await runTm(dir, ['health', '--json']);
  expect(health.exitCode, health.stderr).toBe(0);
  const report = JSON.parse(health.stdout) as { status: string; checks: Record<string, { status: string; latency_ms: number; target: string }> };
  expect(report.status).toBe('ok');
  for (const [name, check] of Object.entries(report.checks)) {
    expect(check.status, name).toBe('ok');
    expect(check.latency_ms, name).toBeGreaterThan(0);
  }
  return { targets: Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, v.target])), output: health.stdout + health.stderr };
}

/**
 * The targets `tm health --json` names for the services both projects have (ports by the
 * names distinctPorts was given; the app user `app` and vhost `app_vh` of RabbitMQ and MariaDB).
 */
export function sharedTargets(ports: Record<string, number>, database: string): Record<string, string> {
  return {
    postgres: `postgres://postgres@127.0.0.1:${ports.postgres}/${database}`,
    redis: `redis://127.0.0.1:${ports.redis}`,
    rabbitmq: `amqp://app@127.0.0.1:${ports.amqp}/app_vh`,
    mariadb: `mysql://app@127.0.0.1:${ports.mysql}/${database}`,
    memcached: `memcached://127.0.0.1:${ports.memcached}`,
    nats: `nats://127.0.0.1:${ports.nats}`,
  };
}

/** Stops what tm started in `dir`, deletes its data, then the folder. */
export async function removeProject(dir: string | undefined): Promise<void> {
  if (!dir) return;
  await runTm(dir, ['down', '--volumes', '--yes']);
  await rm(dir, { recursive: true, force: true });
}
