import type { Config } from '../config/load.js';
import type { DatabaseTarget } from '../db/connect.js';
import { EXIT, TmError, errorText, isTmError, type ExitCode, type Problem } from '../errors.js';

/** What `tm ci` reports as it goes: NDJSON events with --json, annotations on GitHub. */
export type CiEvent =
  | { type: 'step-start'; step: string }
  | { type: 'step-end'; step: string; status: 'ok' | 'failed'; duration_ms: number; detail?: string; exit?: ExitCode }
  | { type: 'problem'; step: string; code: string; message: string; file?: string; line?: number; column?: number; hint?: string };

export interface CiOptions {
  /** Services are provided from outside (GitHub Actions service containers). */
  external: boolean;
  env: string;
  timeoutMs: number;
  signal?: AbortSignal;
  emit: (event: CiEvent) => void;
}

export interface CiStep {
  name: string;
  run: () => Promise<string | undefined>;
}

/** Env check, services, migrate, seed, health: each timed; stops at the first failure. */
export async function runCi(config: Config, opts: CiOptions): Promise<{ exit: ExitCode; steps: { name: string; status: string; duration_ms: number }[] }> {
  const steps = await ciSteps(config, opts);
  const done: { name: string; status: string; duration_ms: number }[] = [];
  for (const step of steps) {
    opts.emit({ type: 'step-start', step: step.name });
    const t0 = performance.now();
    try {
      const detail = await step.run();
      const ms = Math.round(performance.now() - t0);
      opts.emit({ type: 'step-end', step: step.name, status: 'ok', duration_ms: ms, detail });
      done.push({ name: step.name, status: 'ok', duration_ms: ms });
    } catch (err) {
      const ms = Math.round(performance.now() - t0);
      const e = isTmError(err) ? err : new TmError('TM_INTERNAL', errorText(err), { exit: EXIT.internal });
      const problems: Problem[] = e.problems.length ? e.problems : [{ message: e.message }];
      for (const p of problems) opts.emit({ type: 'problem', step: step.name, code: e.code, message: p.path ? `${p.path}: ${p.message}` : p.message, file: p.file, line: p.line, column: p.column, hint: e.hint });
      opts.emit({ type: 'step-end', step: step.name, status: 'failed', duration_ms: ms, detail: e.message, exit: e.exit });
      done.push({ name: step.name, status: 'failed', duration_ms: ms });
      return { exit: e.exit, steps: done };
    }
  }
  return { exit: EXIT.ok, steps: done };
}

async function ciSteps(config: Config, opts: CiOptions): Promise<CiStep[]> {
  const { assertEnvValid } = await import('../env/ensure.js');
  const steps: CiStep[] = [
    {
      name: 'env',
      run: async () => {
        await assertEnvValid(config);
        return `${Object.keys(config.env).length} variables valid`;
      },
    },
  ];
  let target: DatabaseTarget | undefined;
  if (opts.external) {
    steps.push({
      name: 'services',
      run: async () => {
        const { resolveDatabase } = await import('../db/connect.js');
        const { waitForDatabase } = await import('../db/wait.js');
        const parts: string[] = [];
        if (config.services.some((s) => s.kind === 'postgres') || process.env.DATABASE_URL) {
          target = await resolveDatabase(config);
          await waitForDatabase(target, opts.timeoutMs, opts.signal);
          parts.push(`database (${target.source})`);
        }
        const redisUrl = process.env.REDIS_URL;
        if (redisUrl) {
          const { redisProbe } = await import('../health/probes.js');
          const { waitFor } = await import('../health/wait-for.js');
          const u = new URL(redisUrl);
          await waitFor(redisProbe('redis', { host: u.hostname, port: Number(u.port || 6379), password: decodeURIComponent(u.password) || undefined }), { timeoutMs: opts.timeoutMs, signal: opts.signal });
          parts.push('redis (REDIS_URL)');
        }
        return parts.length ? `reachable: ${parts.join(', ')}` : 'nothing to wait for';
      },
    });
  } else {
    steps.push({
      name: 'services',
      run: async () => {
        const { selectRuntime } = await import('../stack/select.js');
        const { up } = await import('../stack/up.js');
        const { serviceDatabase } = await import('../stack/migrations.js');
        const { runtime } = await selectRuntime(config);
        const r = await up(config, runtime, config.services, { timeoutMs: opts.timeoutMs, signal: opts.signal });
        target = serviceDatabase(config);
        return `${r.services.length} services up (${runtime.name})`;
      },
    });
  }
  steps.push(
    {
      name: 'migrate',
      run: async () => {
        if (!target) return 'no database';
        const { detectPrisma, prismaMigrate } = await import('../db/prisma.js');
        const prisma = await detectPrisma(config);
        if (prisma) return `${(await prismaMigrate(config, prisma, target)).applied.length} Prisma migrations applied`;
        const { migrate } = await import('../db/migrate.js');
        return `${(await migrate(config, target, { signal: opts.signal })).applied.length} migrations applied`;
      },
    },
    {
      name: 'seed',
      run: async () => {
        if (!target) return 'no database';
        const { seed } = await import('../db/seeds.js');
        const r = await seed(config, target, { env: opts.env });
        return `${r.ran.length} seeds ran (${opts.env})`;
      },
    },
    {
      name: 'health',
      run: async () => {
        if (opts.external) return 'checked while waiting for the services';
        const { checkHealth } = await import('../health/check.js');
        const report = await checkHealth(config);
        const bad = Object.entries(report.checks).filter(([, c]) => c.status !== 'ok');
        if (bad.length) throw new TmError('TM_HEALTH_FAILED', bad.map(([n, c]) => `${n}: ${c.error}`).join('; '), { exit: EXIT.problems });
        return Object.entries(report.checks).map(([n, c]) => `${n} ${c.latency_ms} ms`).join(', ');
      },
    },
  );
  return steps;
}
