import type { Config } from '../config/load.js';
import type { DatabaseTarget } from '../db/connect.js';
import { ensureBranchDatabase, type EnsureResult } from '../db/admin/branches.js';
import { followBranchInEnv, type EnvLineChange } from '../env/branch-line.js';
import { errorText } from '../errors.js';

// The one step that puts a checkout on its branch's database (db.branches): the database
// made if it is new, and the DATABASE_URL line of .env that tm manages pointed at it. tm up,
// the tm db commands and the post-checkout hook run it.

export interface BranchUse {
  branch?: string;
  database: string;
  created?: EnsureResult['created'];
  /** .env lines that now name the branch's database. */
  env: EnvLineChange[];
  /** Why .env could not be kept (it is left as it was). */
  envProblem?: string;
}

/** Makes the branch's database when new and keeps .env on it; undefined without db.branches (or outside git). */
export async function useBranchDatabase(config: Config, target: DatabaseTarget | undefined): Promise<BranchUse | undefined> {
  const fact = config.branch;
  if (!fact) return undefined;
  const ensured = target ? await ensureBranchDatabase(fact, target) : undefined;
  const kept = await followBranchInEnv(config).then(
    (env) => ({ env }),
    (err: unknown) => ({ env: [], envProblem: errorText(err) }),
  );
  return { branch: fact.branch, database: fact.database, created: ensured?.created, ...kept };
}

/** One line for the terminal about what the step did, or undefined when it did nothing worth saying. */
export function describeBranchUse(use: BranchUse): string | undefined {
  const parts: string[] = [];
  if (use.created)
    parts.push(
      `made database ${use.database} for branch ${use.branch ?? '(detached HEAD)'}, ${use.created.from ? `copied from ${use.created.from}` : 'empty'}`,
    );
  if (use.created?.terminated) parts.push(`ended ${use.created.terminated} session(s) of ${use.created.from} to copy it`);
  if (use.env.length > 0) parts.push(`.env ${use.env.map((c) => c.key).join(', ')} now names ${use.database}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
