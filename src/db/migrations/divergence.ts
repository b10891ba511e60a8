import type { MigrationState, StatusReport, StatusRow } from './types.js';

// The database's applied history should be a prefix of the checkout's migration files: the
// same files, in order, then only pending ones. When it is not (a branch's migration applied
// to the database another branch now uses, a file edited after it was applied), migrate
// refuses; the usual cause with git is switching branches on one database, and the fix is to
// rebuild the database from this checkout's files, or to give each branch its own.

/** A migration that breaks the prefix, and why. */
export interface DivergentFile {
  name: string;
  version?: string;
  path?: string;
  state: MigrationState;
  why: string;
}

export interface Divergence {
  files: DivergentFile[];
  fix: string;
}

const WHY: Partial<Record<MigrationState, string>> = {
  missing: 'applied to the database, but no such file in this checkout',
  edited: 'applied with other content than the file has here',
  'out-of-order': 'not applied, yet older than the newest applied one',
};

/** Where the applied history parts from the files, or undefined when it is a prefix of them. */
export function divergence(report: Pick<StatusReport, 'rows'>, opts: { branches: boolean; branch?: string; database?: string }): Divergence | undefined {
  const files = report.rows.filter(isDivergent).map((r) => ({
    name: r.name,
    version: r.version,
    path: r.path,
    state: r.state,
    why: r.path === undefined ? WHY.missing! : WHY[r.state]!,
  }));
  if (files.length === 0) return undefined;
  const reset = "tm db reset rebuilds it from this checkout's files (one CREATE DATABASE from a cached template when these files were used recently)";
  const fix = opts.branches
    ? `${reset}; the database ${opts.database ?? ''} of branch ${opts.branch ?? '(detached HEAD)'} is this checkout's own, so nothing of another branch is lost`
    : `${reset}; or give each git branch a database of its own (db.branches: true in taskmaster.yml), so switching branches switches databases`;
  return { files, fix: fix.replace('  ', ' ') };
}

function isDivergent(r: StatusRow): boolean {
  return r.state in WHY || (r.path === undefined && (r.state === 'applied' || r.state === 'failed'));
}
