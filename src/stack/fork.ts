import { basename, resolve } from 'node:path';
import { loadConfig, type Config } from '../config/load.js';
import type { PostgresService } from '../config/schema.js';
import { readStackRecord, stackPath } from '../config/stack.js';
import { copyDatabase, isEmptyDatabase, type CopyResult } from '../db/admin/copy.js';
import { EXIT, TmError } from '../errors.js';
import type { Runtime } from '../runtime/types.js';
import type { StagePlan, Skipped } from './bring-up.js';
import type { Claim } from './claim.js';
import { writeRecord } from './claim.js';
import { serviceDatabase } from './database.js';
import { folderExists, readRegistry } from './registry.js';
import { selectRuntime } from './select.js';

// A new stack starts from a copy of another stack's database (by default the project's first
// stack: the main worktree, or the first clone), taken at its first `tm up`. The stacks run
// their own servers, so the copy is a dump streamed from one server into the other; after it
// the two are independent.

/** The stack a new stack's data is copied from, checked to be running before anything starts. */
export interface ForkSource {
  path: string;
  config: Config;
  runtime: Runtime;
  pg: PostgresService;
}

export interface ForkResult extends CopyResult {
  /** The folder of the stack copied from. */
  from: string;
  database: string;
}

export interface ForkPlan {
  source?: ForkSource;
  /** Why `--from` was not acted on (the stack already has its data). */
  note?: string;
}

/**
 * Where this stack's data comes from: `--from NAME` (a stack of the project, by folder path or
 * name), `--from none` (empty), else for a stack with ports of its own the stack holding
 * taskmaster.yml's ports. Only a stack that has no data yet is filled; its record says so.
 */
export async function planFork(config: Config, claim: Claim, from: string | undefined, opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ForkPlan> {
  const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres');
  const record = readStackRecord(config.root);
  if (!pg || !record) return {};
  if (record.data)
    return from !== undefined
      ? { note: `--from ${from} is for a new stack's first tm up: this stack already has its data (tm db reset or restore replace it)` }
      : {};
  if (from === 'none') {
    await writeRecord(config, { ...record, data: { from: null, at: new Date().toISOString() } });
    return {};
  }
  const path = from !== undefined ? findStack(config, from, opts) : claim.mode === 'allocated' ? claim.first : undefined;
  if (!path) return {};
  const sourceConfig = await loadConfig({ cwd: path, env: opts.env });
  const sourcePg = sourceConfig.services.find((s): s is PostgresService => s.kind === 'postgres');
  if (!sourcePg)
    throw new TmError('TM_FORK_SOURCE', `the stack in ${path} has no postgres service to copy`, { exit: EXIT.usage, hint: 'tm up --from none starts empty' });
  const entry = readRegistry(opts.env).find((e) => e.path === path);
  const { runtime } = await selectRuntime(sourceConfig, entry?.runtime, opts.env);
  const [state] = await runtime.status([sourcePg]);
  if (state?.state !== 'running') {
    throw new TmError('TM_FORK_SOURCE_STOPPED', `this new stack starts from a copy of ${sourcePg.name} in ${path}, which is not running; nothing was started`, {
      exit: EXIT.runtime,
      hint: `start it (tm -C ${path} up ${sourcePg.name}), or pass --from none to start empty`,
    });
  }
  return { source: { path, config: sourceConfig, runtime, pg: sourcePg } };
}

/** A stack of this project named by `--from`: its folder (a path), or the folder's name. */
function findStack(config: Config, name: string, opts: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const self = stackPath(config.root);
  const stacks = readRegistry(opts.env).filter((e) => e.project === config.name && e.path !== self && folderExists(e));
  const byPath = stackPath(resolve(opts.cwd, name));
  const found = stacks.filter((e) => e.path === byPath || basename(e.path) === name);
  if (found.length === 1) return found[0]!.path;
  const listed = stacks.map((e) => e.path).join(', ') || 'none besides this one';
  throw new TmError(
    'TM_STACK_UNKNOWN',
    found.length > 1 ? `--from ${name} names ${found.length} stacks of ${config.name}` : `--from ${name}: no stack of ${config.name} by that folder`,
    {
      exit: EXIT.usage,
      hint: `stacks of ${config.name} on this machine: ${listed} (tm ls); or --from none to start empty`,
    },
  );
}

/** The copy, once this stack's Postgres is up: skipped when its database already holds something. */
export async function forkStage(config: Config, runtime: Runtime, source: ForkSource): Promise<StagePlan<ForkResult> | Skipped> {
  // Stacks copy their configured databases (the default branch's); branch databases are made from them afterwards.
  const target = serviceDatabase(config, undefined, { configured: true })!;
  const record = readStackRecord(config.root)!;
  if (!(await isEmptyDatabase(target))) {
    await writeRecord(config, { ...record, data: { from: null, at: new Date().toISOString() } });
    return { skipped: 'the database already has data' };
  }
  const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres')!;
  return {
    title: `copying ${source.pg.database} from ${source.path}`,
    run: async () => {
      const from = { target: serviceDatabase(source.config, undefined, { configured: true })!, tools: await source.runtime.clientTools(source.pg) };
      const copied = await copyDatabase(from, { target, tools: await runtime.clientTools(pg) });
      await writeRecord(config, { ...record, data: { from: source.path, at: new Date().toISOString() } });
      return { ...copied, from: source.path, database: pg.database };
    },
    summary: (r) => `data copied from ${basename(r.from)} (${(r.bytes / 2 ** 20).toFixed(1)} MB)`,
  };
}
