import { withDependencies } from '../config/graph.js';
import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import type { DatabaseTarget } from '../db/connect.js';
import { openMigrations, takeoverLine } from '../db/migrations/layouts.js';
import type { MigrateResult } from '../db/migrations/types.js';
import { readSeeds, seed, seedEnv, type SeedResult } from '../db/seeds/seed.js';
import type { Runtime } from '../runtime/types.js';
import { EXIT, TmError } from '../errors.js';
import { type BranchUse, describeBranchUse, useBranchDatabase } from './branch.js';
import { serviceDatabase } from './database.js';
import { forkStage, type ForkResult, type ForkSource } from './fork.js';
import { up, type UpOptions, type UpResult } from './up.js';

/** Migrations applied by the migrate stage, and what the project's layout calls one. */
export interface Migrated {
  noun: string;
  result: MigrateResult;
}

/** What each stage of bringing a stack up gives, in the order they run. */
export interface StageResults {
  /** Postgres, Redis: every service that is not an app, level by level. */
  databases: UpResult;
  /** A new stack's data, copied from another stack of the project. */
  fork: ForkResult;
  /** With db.branches: the branch's database, made when new, and .env pointed at it. */
  branch: BranchUse;
  migrate: Migrated;
  seed: SeedResult;
  /** The apps, once the schema they may read at start is there. */
  apps: UpResult;
}
export type StageName = keyof StageResults;

/** A stage that has work to do: what it does, the work, and its outcome in a few words. */
export interface StagePlan<T> {
  title: string;
  run: () => Promise<T>;
  summary: (result: T) => string;
}

/** A stage with nothing to do, and why ("no database", "no migrations"...). */
export interface Skipped {
  skipped: string;
}

/** One stage of the pipeline: `plan` finds out what it will do (it may throw, as `run` may). */
export interface Stage<S extends StageName> {
  name: S;
  plan: () => Promise<StagePlan<StageResults[S]> | Skipped>;
}

/**
 * How a command shows the stages (a spinner, a CI step): it calls `plan`, then `run`, inside
 * its own progress display and returns what `run` gave (undefined for a skipped stage).
 */
export type RunStage = <S extends StageName>(stage: Stage<S>) => Promise<StageResults[S] | undefined>;

export interface BringUpOptions extends Pick<UpOptions, 'timeoutMs' | 'signal' | 'onProgress' | 'onWarning'> {
  /** Apply pending migrations once the databases are ready (default true). */
  migrate?: boolean;
  /** Run new or changed seeds after migrating (default true; never without migrate). */
  seed?: boolean;
  /** Which seeds run: `db/seeds/*`, then `db/seeds/<seedEnv>/*` (default: TM_ENV, then development). */
  seedEnv?: string;
  /** A new stack's data comes from this stack (planFork), before migrations run. */
  fork?: ForkSource;
  runStage: RunStage;
}

export interface BringUpResult extends UpResult {
  fork?: ForkResult;
  branch?: BranchUse;
  migrations?: MigrateResult;
  seeds?: SeedResult;
}

/**
 * Brings a stack up, as `tm up`, `tm restart` and `tm ci` do: the databases (and whatever else
 * is not an app) level by level, then migrations, then seeds, then the apps, which may read
 * the schema as they start. `requested` brings what it depends on along.
 */
export async function bringUp(config: Config, runtime: Runtime, requested: Service[], opts: BringUpOptions): Promise<BringUpResult> {
  const { timeoutMs, signal, onProgress, onWarning } = opts;
  const upOpts: UpOptions = { timeoutMs, startedAt: performance.now(), signal, onProgress, onWarning, prepared: new Set() };
  const closure = withDependencies(config.services, requested);
  const data = closure.filter((s) => s.kind !== 'app');
  const hasApps = closure.some((s) => s.kind === 'app');
  /** What this run started (each stage's up() stops its own on Ctrl-C; the earlier ones are the run's to stop). */
  const started: Service[] = [];
  try {
    const first = (await opts.runStage({
      name: 'databases',
      plan: async () => ({
        title: `starting ${config.name} (${runtime.name})`,
        run: () => up(config, runtime, data, upOpts),
        summary: () => `${hasApps ? 'databases' : config.name} up`,
      }),
    }))!;
    started.push(...data.filter((svc) => first.services.some((s) => s.name === svc.name && s.state === 'started')));
    const target = serviceDatabase(
      config,
      data.map((s) => s.name),
    );
    const { fork: source } = opts;
    const fork = target && source ? await opts.runStage({ name: 'fork', plan: () => forkStage(config, runtime, source) }) : undefined;
    const branch = config.branch ? await opts.runStage({ name: 'branch', plan: async () => branchStage(config, target) }) : undefined;
    const { migrations, seeds } = await migrateAndSeed(config, target, opts);
    const second = hasApps
      ? await opts.runStage({
          name: 'apps',
          plan: async () => ({ title: 'starting apps', run: () => up(config, runtime, requested, upOpts), summary: () => `${config.name} is up` }),
        })
      : undefined;
    // The apps' stage lists the databases too: as the first stage found them (it started them).
    const result = second ? { ...second, services: second.services.map((s) => first.services.find((f) => f.name === s.name) ?? s) } : first;
    return { ...result, fork, branch, migrations: migrations?.result, seeds };
  } catch (err) {
    if (!signal?.aborted) throw err;
    // Ctrl-C: the whole run is undone, the databases of its first stage too; what ran before it stays up.
    await runtime.stop(started).catch(() => undefined);
    throw new TmError('TM_INTERRUPTED', 'interrupted: stopped the services this run had started', { exit: EXIT.interrupted, cause: err });
  }
}

/**
 * The migrate and seed stages against `target` (none: both are skipped): for the pipeline, and
 * for `tm ci --external`, whose databases are started by someone else.
 */
export async function migrateAndSeed(
  config: Config,
  target: DatabaseTarget | undefined,
  opts: Pick<BringUpOptions, 'migrate' | 'seed' | 'seedEnv' | 'signal' | 'runStage'>,
): Promise<{ migrations?: Migrated; seeds?: SeedResult }> {
  const skip = (why: string) => async (): Promise<Skipped> => ({ skipped: why });
  const noDatabase = !target && 'no database';
  const migrations = await opts.runStage({
    name: 'migrate',
    plan: noDatabase || opts.migrate === false ? skip(noDatabase || 'not asked to migrate') : () => migrateStage(config, target!, opts.signal),
  });
  const seeds = await opts.runStage({
    name: 'seed',
    plan:
      noDatabase || opts.migrate === false || opts.seed === false
        ? skip(noDatabase || 'not asked to seed')
        : () => seedStage(config, target!, opts.seedEnv ?? seedEnv(), opts.signal),
  });
  return { migrations, seeds };
}

/** The branch's database made when new (before migrations run on it) and .env kept on it. */
function branchStage(config: Config, target: DatabaseTarget | undefined): StagePlan<BranchUse> {
  return {
    title: `database of branch ${config.branch!.branch ?? '(detached HEAD)'}`,
    run: async () => (await useBranchDatabase(config, target))!,
    summary: (u) => describeBranchUse(u) ?? `branch ${u.branch ?? '(detached HEAD)'}: database ${u.database}`,
  };
}

/** Pending migrations applied to `target`, whatever the project's layout; skipped when it has none. */
async function migrateStage(config: Config, target: DatabaseTarget, signal?: AbortSignal): Promise<StagePlan<Migrated> | Skipped> {
  const migrations = await openMigrations(config);
  if (migrations.isEmpty()) return { skipped: 'no migrations' };
  return {
    title: `applying ${migrations.noun}s`,
    run: async () => ({ noun: migrations.noun, result: await migrations.migrate(target, { signal }) }),
    summary: (m) => `migrations: ${m.result.applied.length} applied${m.result.takeover ? `; ${takeoverLine(m.result.takeover, 'done')}` : ''}`,
  };
}

/** New or changed seeds run against `target` (each seed runs once per content); skipped when there are none. */
async function seedStage(config: Config, target: DatabaseTarget, env: string, signal?: AbortSignal): Promise<StagePlan<SeedResult> | Skipped> {
  if ((await readSeeds(config, env)).length === 0) return { skipped: `no seeds (${env})` };
  return { title: 'seeding', run: () => seed(config, target, { env, signal }), summary: (r) => `seeds: ${r.ran.length} ran, ${r.skipped.length} unchanged` };
}
