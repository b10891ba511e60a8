import type { Client } from 'pg';
import { databaseOfBranch, type BranchFact } from '../../config/branch.js';
import { checkedOutFrom, checkouts, localBranches, readHead } from '../../config/git.js';
import { EXIT, TmError } from '../../errors.js';
import type { DatabaseTarget } from '../connect.js';
import {
  cloneDatabase,
  createDatabase,
  databaseName,
  dropDatabase,
  guardReplace,
  readPrivileges,
  requirePrivileges,
  terminateConnections,
  withMaintenance,
} from './databases.js';
import { whileReplacing } from './replace-lock.js';

// Branch databases on the server: made on a branch's first use as a copy (CREATE DATABASE ...
// TEMPLATE) of the database of the branch it came from, marked as tm's own by a comment on
// the database (the branch, where it came from, when it was made and last used), listed, and
// dropped once their branch is deleted. The comment lives with the database, so the facts
// stay true whatever happens to the checkout's files; a database without tm's mark is never
// dropped.

/** What tm writes in a branch database's comment. */
interface Mark {
  tm: 'branch';
  base: string;
  /** The branch; undefined for the detached-HEAD database. */
  branch?: string;
  /** The database it was copied from (undefined: created empty). */
  from?: string;
  created_at: string;
  used_at: string;
}

export interface EnsureResult {
  database: string;
  /** Set when this call made it: copied from `from`, or empty (`from` undefined: the configured database did not exist either). */
  created?: { from?: string; terminated: number };
}

/**
 * Makes the branch's database when it does not exist yet, as a copy of the database of the
 * nearest branch it came from that has one (git's reflogs, config/git.ts), else of the
 * configured one; and records its use. Nothing to do on the default branch, or when `target`
 * is not the branch's database (--database-url, an environment variable). The copy needs the
 * source to have no other sessions: they are ended, as for a snapshot.
 */
export async function ensureBranchDatabase(fact: BranchFact | undefined, target: DatabaseTarget): Promise<EnsureResult | undefined> {
  if (!fact || fact.database === fact.base || databaseName(target) !== fact.database) return undefined;
  const db = await guardReplace(target, 'create the branch database');
  // The common case, one connection: it exists, and its use is recorded.
  if (await withMaintenance(target, 'branch', (client) => touch(client, fact, db))) return { database: db };
  // One maker at a time: two commands on a new branch at once would both copy.
  return whileReplacing(target, 'branch', () =>
    withMaintenance(target, 'branch', async (client) => {
      const candidates = [...sourceBranches(fact).map((b) => databaseOfBranch(fact.base, b, fact.defaultBranch)), fact.base].filter((d) => d !== db);
      const me = await readPrivileges(client, [db, ...candidates]);
      if (me.databases.has(db)) return { database: db };
      const from = candidates.find((d) => me.databases.has(d));
      requirePrivileges(client, me, { createdb: true, own: from ? [from] : [], command: `making the database of branch ${fact.branch ?? '(detached HEAD)'}` });
      const hint = 'nothing was changed; the next tm db command or tm up tries again';
      let terminated = 0;
      if (from) {
        terminated = await terminateConnections(client, from);
        await cloneDatabase(client, db, from, hint);
      } else await createDatabase(client, db, hint);
      const now = new Date().toISOString();
      await writeMark(client, db, { tm: 'branch', base: fact.base, branch: fact.branch, from, created_at: now, used_at: now });
      return { database: db, created: { from, terminated } };
    }),
  );
}

/** The branches this one came from, nearest first (for a detached HEAD: the branch it was detached from, and on). */
function sourceBranches(fact: BranchFact): string[] {
  const root = fact.defaultBranch;
  if (fact.branch !== undefined) return checkedOutFrom(fact.git, fact.branch, root);
  const last = checkouts(fact.git).at(-1);
  return !last ? [] : last.from === root ? [root] : [last.from, ...checkedOutFrom(fact.git, last.from, root)];
}

async function writeMark(client: Client, db: string, mark: Mark): Promise<void> {
  await client.query(`COMMENT ON DATABASE ${client.escapeIdentifier(db)} IS ${client.escapeLiteral(JSON.stringify(mark))}`);
}

function readMark(comment: string | null): Mark | undefined {
  try {
    const m = JSON.parse(comment ?? '') as Mark;
    return m?.tm === 'branch' && typeof m.base === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records that the branch's database was used now, if it exists (false when not). One
 * without tm's mark (made again by tm db reset, restore or import, which drop and create it)
 * is marked as the branch's. A role that may not comment on it still uses it.
 */
async function touch(client: Client, fact: BranchFact, db: string): Promise<boolean> {
  const { rows } = await client.query<{ comment: string | null }>(
    `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
    [db],
  );
  if (rows.length === 0) return false;
  const now = new Date().toISOString();
  const mark = readMark(rows[0]!.comment) ?? { tm: 'branch', base: fact.base, branch: fact.branch, created_at: now, used_at: now };
  await writeMark(client, db, { ...mark, used_at: now }).catch(() => undefined);
  return true;
}

/** One database of `tm db branches`. */
export interface BranchDatabase {
  database: string;
  /** The branch it belongs to (the default branch for the configured database; undefined for the detached-HEAD one). */
  branch?: string;
  /** The configured database (the default branch's). */
  default: boolean;
  /** The database of this checkout. */
  current: boolean;
  /** False when its branch was deleted (`--prune` drops it). */
  live: boolean;
  from?: string;
  created_at?: string;
  used_at?: string;
  size_bytes: number;
}

/** The configured database and every branch database tm made of it, on the target's server. */
export async function listBranchDatabases(fact: BranchFact, target: DatabaseTarget): Promise<BranchDatabase[]> {
  const branches = localBranches(fact.git);
  const head = readHead(fact.git);
  const detached = head !== undefined && 'detached' in head;
  return withMaintenance(target, 'branches', async (client) => {
    const { rows } = await client.query<{ datname: string; size: string; comment: string | null }>(
      `SELECT datname, pg_database_size(oid)::text AS size, shobj_description(oid, 'pg_database') AS comment
         FROM pg_database WHERE datname = $1 OR starts_with(shobj_description(oid, 'pg_database'), '{"tm":"branch"') ORDER BY datname`,
      [fact.base],
    );
    const out: BranchDatabase[] = [];
    for (const r of rows) {
      const size_bytes = Number(r.size);
      if (r.datname === fact.base) {
        out.push({ database: r.datname, branch: fact.defaultBranch, default: true, current: fact.database === fact.base, live: true, size_bytes });
        continue;
      }
      const mark = readMark(r.comment);
      if (!mark || mark.base !== fact.base) continue;
      const live = mark.branch === undefined ? detached : branches.has(mark.branch) || mark.branch === fact.branch;
      out.push({
        database: r.datname,
        branch: mark.branch,
        default: false,
        current: r.datname === fact.database,
        live,
        from: mark.from,
        created_at: mark.created_at,
        used_at: mark.used_at,
        size_bytes,
      });
    }
    return out;
  });
}

/** Drops the branch databases whose branch is gone (never the configured one, nor the current one). */
export async function pruneBranchDatabases(target: DatabaseTarget, stale: BranchDatabase[]): Promise<string[]> {
  const dropped: string[] = [];
  for (const b of stale) {
    if (b.default || b.current || b.live) {
      throw new TmError('TM_INTERNAL', `refusing to drop ${b.database}: it is not a stale branch database`, { exit: EXIT.internal });
    }
    const one: DatabaseTarget = { url: target.url, source: target.source, database: b.database };
    await guardReplace(one, 'drop');
    await whileReplacing(one, 'prune', () =>
      withMaintenance(target, 'prune', async (client) => {
        const me = await readPrivileges(client, [b.database]);
        if (!me.databases.has(b.database)) return;
        requirePrivileges(client, me, { createdb: false, own: [b.database], command: 'tm db branches --prune' });
        await terminateConnections(client, b.database);
        await dropDatabase(client, b.database);
      }),
    );
    dropped.push(b.database);
  }
  return dropped;
}
