import type { Client } from 'pg';
import { EXIT, TmError } from '../errors.js';
import { formatDuration } from '../util/duration.js';

/** Advisory lock key of tm's SQL migrations ("tm_migra" in ASCII). */
export const MIGRATION_LOCK_KEY = 8389466604385563233n;
/** Advisory lock key of seed runs ("tm_seeds" in ASCII). */
export const SEED_LOCK_KEY = 8389466630088123507n;

export interface LockOptions {
  /** How long to wait for another runner's lock before failing with exit 5 (default 10 s). */
  lockTimeoutMs?: number;
  /** Ctrl-C: stops waiting for the lock (and the work, where it checks). */
  signal?: AbortSignal;
  /** Who else takes this lock, for the timeout message (default: another migration run). */
  holds?: string;
  /** The fix when waiting ran out (default: wait, or raise --lock-timeout). */
  hint?: string;
}

/**
 * Holds the session advisory lock `key` on `client` while `work` runs, and releases it
 * however `work` ends. The server checks the connection every second while a statement
 * runs, so a runner killed mid-statement frees the lock within seconds, not when it ends.
 */
export async function withAdvisoryLock<T>(client: Client, key: bigint, opts: LockOptions, work: () => Promise<T>): Promise<T> {
  await client.query('SET client_connection_check_interval = 1000').catch(() => undefined);
  await acquireLock(client, key, opts.lockTimeoutMs ?? 10_000, opts);
  try {
    return await work();
  } finally {
    await releaseLock(client, key).catch(() => undefined);
  }
}

/**
 * Takes a session advisory lock, polling until `timeoutMs`; then fails with exit 5 naming
 * the holder from its application_name (pg_locks has no grant time, so the runner puts its
 * pid, host and start time there).
 */
async function acquireLock(client: Client, key: bigint, timeoutMs: number, { signal, holds = 'another migration run', hint }: LockOptions): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key.toString()]);
    if (rows[0]!.ok) return;
    if (performance.now() >= deadline) break;
    signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, 50));
  }
  const holder = await lockHolder(client, key);
  throw new TmError('TM_LOCK_TIMEOUT', `${holds} holds the lock after waiting ${formatDuration(timeoutMs)}${holder ? `: ${holder}` : ''}`, {
    exit: EXIT.timeout,
    hint: hint ?? 'wait for it to finish, or raise --lock-timeout; a killed runner frees the lock within seconds',
  });
}

async function releaseLock(client: Client, key: bigint): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [key.toString()]);
}

/** The session holding the lock in this database (advisory locks are per database). */
async function lockHolder(client: Client, key: bigint): Promise<string | undefined> {
  const { rows } = await client.query<{ pid: number; app: string; addr: string | null; backend_start: Date }>(
    `SELECT a.pid, a.application_name AS app, a.client_addr::text AS addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
    [key.toString()],
  );
  const h = rows[0];
  if (!h) return undefined;
  return `${h.app || 'an unnamed client'} (server pid ${h.pid}${h.addr ? ` from ${h.addr}` : ''}, connected since ${h.backend_start.toISOString()})`;
}
