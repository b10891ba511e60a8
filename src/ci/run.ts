import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import type { DatabaseTarget } from '../db/connect.js';
import { EXIT, TmError, errorText, isTmError, type ExitCode, type Problem } from '../errors.js';
import type { HealthReport } from '../health/check.js';
import type { Probe } from '../health/wait-for.js';

/** What `tm ci` reports as it goes: NDJSON events with --json, annotations on GitHub. */
export type CiEvent =
  | { type: 'step-start'; step: string }
  | { type: 'step-end'; step: string; status: 'ok' | 'failed'; duration_ms: number; detail?: string; exit?: ExitCode }
  /** `file` is absolute (or `(environment)`); the reporter makes it relative for people and GitHub. */
  | { type: 'problem'; step: string; code: string; message: string; file?: string; line?: number; column?: number; hint?: string };

export interface CiOptions {
  /** Loads taskmaster.yml (the first step: an invalid config is reported like any other failure). */
  loadConfig: () => Promise<Config>;
  /** Loads it again after the env step created `.env` (it interpolates from it). */
  reloadConfig: () => Promise<Config>;
  /** Where config problems' paths are relative to (the directory tm runs in). */
  cwd: string;
  /** Services are provided from outside (GitHub Actions service containers). */
  external: boolean;
  env: string;
  timeoutMs: number;
  signal?: AbortSignal;
  emit: (event: CiEvent) => void;
}

export interface CiResult {
  exit: ExitCode;
  steps: { name: string; status: 'ok' | 'failed'; duration_ms: number }[];
}

interface CiStep {
  name: string;
  run: () => Promise<string | undefined>;
}

/** What the steps share: the config once loaded, the database and probes once known. */
interface CiState {
  config?: Config;
  target?: DatabaseTarget;
  probes: Probe[];
}

/** Config, env check, services, migrate, seed, health: each timed; stops at the first failure. */
export async function runCi(opts: CiOptions): Promise<CiResult> {
  const state: CiState = { probes: [] };
  const done: CiResult['steps'] = [];
  for (const step of ciSteps(state, opts)) {
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
      // Config problems are named relative to where tm runs; all others relative to the project.
      const base = step.name === 'config' ? opts.cwd : (state.config?.root ?? opts.cwd);
      for (const p of problems) {
        const file = p.file === undefined || p.file.startsWith('(') || isAbsolute(p.file) ? p.file : resolve(base, p.file);
        opts.emit({ type: 'problem', step: step.name, code: e.code, message: p.path ? `${p.path}: ${p.message}` : p.message, file, line: p.line, column: p.column, hint: e.hint });
      }
      opts.emit({ type: 'step-end', step: step.name, status: 'failed', duration_ms: ms, detail: e.message, exit: e.exit });
      done.push({ name: step.name, status: 'failed', duration_ms: ms });
      return { exit: e.exit, steps: done };
    }
  }
  return { exit: EXIT.ok, steps: done };
}

function ciSteps(state: CiState, opts: CiOptions): CiStep[] {
  const config = () => state.config!;
  return [
    {
      name: 'config',
      run: async () => {
        state.config = await opts.loadConfig();
        return `${state.config.services.length} services`;
      },
    },
    {
      name: 'env',
      run: async () => {
        const { assertEnvValid, createEnvIfMissing } = await import('../env/ensure.js');
        // A fresh clone has no .env: create it as tm up does (secrets generated, service URLs).
        const created = await createEnvIfMissing(config());
        if (created) state.config = await opts.reloadConfig();
        await assertEnvValid(config());
        const valid = `${Object.keys(config().env).length} variables valid`;
        return created ? `created .env (${created.written.length} keys); ${valid}` : valid;
      },
    },
    opts.external ? externalServices(state, opts) : ownServices(state, opts),
    {
      name: 'migrate',
      run: async () => {
        if (!state.target) return 'no database';
        const { detectPrisma, prismaMigrate } = await import('../db/prisma.js');
        const prisma = await detectPrisma(config());
        if (prisma) return `${(await prismaMigrate(config(), prisma, state.target)).applied.length} Prisma migrations applied`;
        const { migrate } = await import('../db/migrate.js');
        return `${(await migrate(config(), state.target, { signal: opts.signal })).applied.length} migrations applied`;
      },
    },
    {
      name: 'seed',
      run: async () => {
        if (!state.target) return 'no database';
        const { seed } = await import('../db/seeds.js');
        const r = await seed(config(), state.target, { env: opts.env });
        return `${r.ran.length} seeds ran (${opts.env})`;
      },
    },
    {
      name: 'health',
      run: async () => {
        const { checkHealth, checkProbes } = await import('../health/check.js');
        // Own services as tm health sees them; external ones once more, after migrate and seed.
        return healthy(opts.external ? await checkProbes(state.probes, { attemptTimeoutMs: 5000 }) : await checkHealth(config()));
      },
    },
  ];
}

/** Every service's latency, or TM_HEALTH_FAILED naming each one that did not answer and why. */
function healthy(report: HealthReport): string {
  const checks = Object.entries(report.checks);
  const bad = checks.filter(([, c]) => c.status !== 'ok');
  if (bad.length) {
    throw new TmError('TM_HEALTH_FAILED', bad.map(([n, c]) => `${n} (${c.target}): ${c.error}`).join('; '), {
      exit: EXIT.problems,
      hint: `check the service${bad.length > 1 ? 's' : ''} behind ${bad.map(([, c]) => c.target).join(', ')}`,
    });
  }
  return checks.length ? checks.map(([n, c]) => `${n} ${Math.round(c.latency_ms)} ms`).join(', ') : 'no services';
}

/** `tm up`'s services, started here. */
function ownServices(state: CiState, opts: CiOptions): CiStep {
  return {
    name: 'services',
    run: async () => {
      const { selectRuntime } = await import('../stack/select.js');
      const { up } = await import('../stack/up.js');
      const { serviceDatabase } = await import('../stack/database.js');
      const config = state.config!;
      const { runtime } = await selectRuntime(config);
      const r = await up(config, runtime, config.services, { timeoutMs: opts.timeoutMs, signal: opts.signal });
      state.target = serviceDatabase(config);
      return `${r.services.length} services up (${runtime.name})`;
    },
  };
}

/**
 * Services provided from outside, found as `tm db` and the env contract find them: DATABASE_URL /
 * REDIS_URL from the environment, `.env.local` or `.env`, else the URLs of services.postgres/redis.
 */
function externalServices(state: CiState, opts: CiOptions): CiStep {
  return {
    name: 'services',
    run: async () => {
      const config = state.config!;
      const { optionalDatabase } = await import('../stack/database.js');
      const { projectVariables } = await import('../config/env-files.js');
      const { serviceUrl } = await import('../config/services.js');
      const { waitFor } = await import('../health/wait-for.js');
      const { waitForDatabase } = await import('../db/wait.js');
      state.target = await optionalDatabase(config);
      if (state.target) {
        await waitForDatabase(state.target, opts.timeoutMs, opts.signal);
        state.probes.push(databaseProbe(state.target));
      }
      const vars = await projectVariables(config.root);
      const redis = config.services.find((s) => s.kind === 'redis');
      const redisUrl = vars.REDIS_URL ? { url: vars.REDIS_URL, source: 'REDIS_URL' } : redis && { url: serviceUrl(redis, true)!, source: `services.${redis.name}` };
      if (redisUrl) {
        const probe = await redisUrlProbe(redisUrl.url, redisUrl.source);
        const hint = `start the Redis that ${redisUrl.source} points at (GitHub Actions: services: in the workflow)`;
        await waitFor(probe, { timeoutMs: opts.timeoutMs, signal: opts.signal, hint });
        state.probes.push(probe);
      }
      return state.probes.length ? `reachable: ${state.probes.map((p) => `${p.name} (${p.target})`).join(', ')}` : 'nothing to wait for';
    },
  };
}

/** The database answers `SELECT 1` (named by where its URL came from, never by the URL). */
function databaseProbe(target: DatabaseTarget): Probe {
  return {
    name: 'database',
    target: target.source,
    async check(timeoutMs) {
      const { connect } = await import('../db/connect.js');
      const client = await connect(target, 'tm ci', Math.max(1, Math.ceil(timeoutMs)));
      try {
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

async function redisUrlProbe(url: string, source: string): Promise<Probe> {
  const { redisProbe } = await import('../health/probes.js');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TmError('TM_ENV_INVALID', `${source} is not a URL`, { exit: EXIT.config, hint: `set ${source} to redis://host:port` });
  }
  const probe = redisProbe('redis', { host: u.hostname, port: Number(u.port || 6379), password: decodeURIComponent(u.password) || undefined });
  return { ...probe, target: source };
}
