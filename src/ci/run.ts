import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { type DatabaseTarget, connect } from '../db/connect.js';
import { ensureExtras, hasExtras } from '../db/extras.js';
import type { PostgresService } from '../config/schema.js';
import type { SeedResult } from '../db/seeds/seed.js';
import { EXIT, TmError, errorText, isTmError, type ExitCode, type Problem } from '../errors.js';
import { type HealthReport, checkHealth, checkProbes } from '../health/check.js';
import { type Probe, waitFor } from '../health/wait-for.js';
import type { BranchUse } from '../stack/branch.js';
import { bringUp, migrateAndSeed, type Migrated, type RunStage, type StageName, type StageResults } from '../stack/bring-up.js';
import { runtimeFor } from '../stack/select.js';
import type { UpResult } from '../stack/up.js';
import { assertEnvValid, createEnvIfMissing } from '../env/ensure.js';
import { optionalDatabase, serviceDatabase } from '../stack/database.js';
import { checkDrift, driftError } from '../db/drift/drift.js';
import { openMigrations } from '../db/migrations/layouts.js';
import { projectVariables } from '../config/env-files.js';
import { serviceUrl } from '../config/services.js';
import { waitForDatabase } from '../db/wait.js';
import { redisProbe } from '../health/probes.js';
import type { ForkResult } from '../stack/fork.js';
import { claimPorts } from '../stack/claim.js';

/** What `tm ci` reports as it goes: NDJSON events with --json, annotations on GitHub. */
export type CiEvent =
  | { type: 'step-start'; step: string }
  | { type: 'step-end'; step: string; status: 'ok' | 'failed'; duration_ms: number; detail?: string; exit?: ExitCode }
  /** `file` is absolute (or `(environment)`); the reporter makes it relative for people and GitHub. */
  | { type: 'problem'; step: string; code: string; message: string; file?: string; line?: number; column?: number; hint?: string; details?: string[] };

export interface CiOptions {
  /** Loads taskmaster.yml (the first step: an invalid config is reported like any other failure). */
  loadConfig: () => Promise<Config>;
  /** Loads it again after the env step created `.env` (it interpolates from it). */
  reloadConfig: () => Promise<Config>;
  /** Where config problems' paths are relative to (the directory tm runs in). */
  cwd: string;
  /** Services are provided from outside (GitHub Actions service containers). */
  external: boolean;
  /** `fixed`: taskmaster.yml's ports even when another stack of the project holds them. */
  ports?: string;
  env: string;
  /** Also fail on schema drift (the drift step: the live schema against the migration files). */
  strict?: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  emit: (event: CiEvent) => void;
}

export interface CiResult {
  exit: ExitCode;
  steps: { name: string; status: 'ok' | 'failed'; duration_ms: number; error?: string }[];
}

/** What the steps share: the config once loaded, the database and probes once known. */
interface CiState {
  config?: Config;
  target?: DatabaseTarget;
  probes: Probe[];
}

/** Runs one step: emits its start, then its end (with `detail` of its value; a string is its own) or its problems. */
type Step = <T>(name: string, work: () => Promise<T>, detail?: (value: T) => string | undefined) => Promise<T>;

/** Thrown by a step that failed (and was reported): the run stops there. */
class StepFailed extends Error {
  constructor(readonly exit: ExitCode) {
    super('a tm ci step failed');
  }
}

/**
 * Config, env check, then the stack as `tm up` brings it up (services, migrate, seed, apps) or
 * the external services and their migrate and seed, then health: each timed; stops at the
 * first failure.
 */
export async function runCi(opts: CiOptions): Promise<CiResult> {
  const state: CiState = { probes: [] };
  const done: CiResult['steps'] = [];
  const step: Step = async (name, work, detail) => {
    opts.emit({ type: 'step-start', step: name });
    const t0 = performance.now();
    try {
      const value = await work();
      const ms = Math.round(performance.now() - t0);
      const said = detail ? detail(value) : typeof value === 'string' ? value : undefined;
      opts.emit({ type: 'step-end', step: name, status: 'ok', duration_ms: ms, detail: said });
      done.push({ name, status: 'ok', duration_ms: ms });
      return value;
    } catch (err) {
      const ms = Math.round(performance.now() - t0);
      const e = isTmError(err) ? err : new TmError('TM_INTERNAL', errorText(err), { exit: EXIT.internal });
      const problems: Problem[] = e.problems.length ? e.problems : [{ message: e.message }];
      // Config problems are named relative to where tm runs; all others relative to the project.
      const base = name === 'config' ? opts.cwd : (state.config?.root ?? opts.cwd);
      for (const p of problems) {
        const file = p.file === undefined || p.file.startsWith('(') || isAbsolute(p.file) ? p.file : resolve(base, p.file);
        opts.emit({
          type: 'problem',
          step: name,
          code: e.code,
          message: p.path ? `${p.path}: ${p.message}` : p.message,
          file,
          line: p.line,
          column: p.column,
          hint: e.hint,
          // The lines under the error (who holds a taken port, a log's last lines), as tm up shows them.
          ...(e.problems.length === 0 && e.details.length > 0 ? { details: e.details } : {}),
        });
      }
      opts.emit({ type: 'step-end', step: name, status: 'failed', duration_ms: ms, detail: e.message, exit: e.exit });
      done.push({ name, status: 'failed', duration_ms: ms, error: `${e.code}: ${e.message}` });
      throw new StepFailed(e.exit);
    }
  };
  try {
    await step('config', async () => {
      state.config = await opts.loadConfig();
      // The stack's own ports before .env is written with them (nothing to claim for external services).
      if (!opts.external) state.config = (await claimPorts(state.config, { ports: opts.ports, reload: opts.reloadConfig })).config;
      return `${state.config.services.length} services`;
    });
    await step('env', () => envStep(state, opts));
    if (opts.external) {
      await step('services', () => externalServices(state, opts));
      await migrateAndSeed(state.config!, state.target, { seedEnv: opts.env, signal: opts.signal, runStage: ciStages(step) });
    } else await ownServices(state, opts, step);
    if (opts.strict) await step('drift', () => driftStep(state, opts));
    await step('health', async () => {
      // Own services as tm health sees them; external ones once more, after migrate and seed.
      return healthy(opts.external ? await checkProbes(state.probes, { attemptTimeoutMs: 5000 }) : await checkHealth(state.config!));
    });
  } catch (err) {
    if (err instanceof StepFailed) return { exit: err.exit, steps: done };
    throw err;
  }
  return { exit: EXIT.ok, steps: done };
}

/** A fresh clone has no .env: create it as tm up does (secrets generated, service URLs), then check it. */
async function envStep(state: CiState, opts: CiOptions): Promise<string> {
  const created = await createEnvIfMissing(state.config!);
  if (created) state.config = await opts.reloadConfig();
  await assertEnvValid(state.config!, { external: opts.external });
  const valid = `${Object.keys(state.config!.env).length} variables valid`;
  return created ? `created .env (${created.written.length} keys); ${valid}` : valid;
}

/** The pipeline's stages as tm ci's steps: the databases are its services step. */
const CI_STEP: Record<StageName, string> = { databases: 'services', fork: 'data', branch: 'branch database', migrate: 'migrate', seed: 'seed', apps: 'apps' };

function ciStages(step: Step): RunStage {
  return async (stage) => {
    const { value } = await step(
      CI_STEP[stage.name],
      async () => {
        const plan = await stage.plan();
        if ('skipped' in plan) return { value: undefined, detail: plan.skipped };
        const value = await plan.run();
        return { value, detail: stageDetail(stage.name, value) };
      },
      (r) => r.detail,
    );
    return value;
  };
}

/** A stage's outcome in the words of tm ci's steps. */
function stageDetail(name: StageName, value: StageResults[StageName]): string {
  switch (name) {
    case 'databases': {
      const r = value as UpResult;
      return `${r.services.length} services up (${r.runtime})`;
    }
    case 'fork': {
      const r = value as ForkResult;
      return `copied from ${r.from} (${r.method})`;
    }
    case 'branch': {
      const u = value as BranchUse;
      return `${u.database}${u.created ? ` (made, ${u.created.from ? `copied from ${u.created.from}` : 'empty'})` : ''}`;
    }
    case 'migrate': {
      const m = value as Migrated;
      return `${m.result.applied.length} ${m.noun}s applied`;
    }
    case 'seed': {
      const r = value as SeedResult;
      return `${r.ran.length} seeds ran (${r.env})`;
    }
    case 'apps': {
      const r = value as UpResult;
      return `${r.services.filter((s) => s.kind === 'app').length} apps up (${r.runtime})`;
    }
  }
}

/** The migrated database against the schema its migration files produce (tm db drift). */
async function driftStep(state: CiState, opts: CiOptions): Promise<string> {
  if (!state.target) return 'no database';
  const migrations = await openMigrations(state.config!);
  if ((await migrations.files()).length === 0) return 'no migrations';
  const report = await checkDrift(state.config!, state.target, { signal: opts.signal, env: opts.env, migrations });
  const failed = driftError(report);
  if (failed) throw failed;
  return `no drift (${Object.values(report.compared).reduce((a, b) => a + b, 0)} objects compared)`;
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

/** The stack brought up as `tm up` does: its stages are the services, migrate, seed and apps steps. */
async function ownServices(state: CiState, opts: CiOptions, step: Step): Promise<void> {
  const config = state.config!;
  state.target = serviceDatabase(config);
  // No runtime, nothing starts: that fails the services step.
  const { runtime } = await runtimeFor(config, undefined, 'start').catch((err: unknown) => step('services', () => Promise.reject(err)));
  await bringUp(config, runtime, config.services, { timeoutMs: opts.timeoutMs, signal: opts.signal, seedEnv: opts.env, runStage: ciStages(step) });
}

/**
 * Services provided from outside, found as `tm db` and the env contract find them: DATABASE_URL /
 * REDIS_URL from the environment, `.env.local` or `.env`, else the URLs of services.postgres/redis.
 */
async function externalServices(state: CiState, opts: CiOptions): Promise<string> {
  const config = state.config!;
  state.target = await optionalDatabase(config);
  const made: string[] = [];
  if (state.target) {
    await waitForDatabase(state.target, opts.timeoutMs, opts.signal);
    state.probes.push(databaseProbe(state.target));
    // What tm up makes on its own servers (extensions, extra databases), on the one given.
    const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres' && !s.testOf);
    if (pg && hasExtras(pg)) {
      const done = await ensureExtras(pg, { external: state.target });
      made.push(...done.databases.map((d) => `database ${d}`), ...done.extensions.map((e) => `extension ${e}`));
    }
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
  const reached = state.probes.length ? `reachable: ${state.probes.map((p) => `${p.name} (${p.target})`).join(', ')}` : 'nothing to wait for';
  return made.length > 0 ? `${reached}; created ${made.join(', ')}` : reached;
}

/** The database answers `SELECT 1` (named by where its URL came from, never by the URL). */
function databaseProbe(target: DatabaseTarget): Probe {
  return {
    name: 'database',
    target: target.source,
    async check(timeoutMs) {
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
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TmError('TM_ENV_INVALID', `${source} is not a URL`, { exit: EXIT.config, hint: `set ${source} to redis://host:port` });
  }
  const probe = redisProbe('redis', { host: u.hostname, port: Number(u.port || 6379), password: decodeURIComponent(u.password) || undefined });
  return { ...probe, target: source };
}
