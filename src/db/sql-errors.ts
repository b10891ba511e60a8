// Where in a script the server's error is: from the position it reports, or, for an error
// without one, by running the script again statement by statement.
import type { Client } from 'pg';
import { isTransactionControl, splitStatements, utf16Index } from './sql-split.js';

/**
 * Runtime errors (a constraint, a division by zero) carry no position. Re-run the section
 * statement by statement inside a transaction that is rolled back, to find which one fails.
 * The script's own transaction control is skipped (a COMMIT would keep what the re-run did),
 * and with `original` the answer counts only if the same error comes back: a statement the
 * first run committed before failing later would fail differently now.
 */
export async function locateFailingStatement(client: Client, sql: string, original?: unknown): Promise<number | undefined> {
  const statements = splitStatements(sql).filter((s) => !isTransactionControl(s.sql));
  if (statements.length < 2) return statements[0]?.offset;
  try {
    await client.query('BEGIN');
    for (const stmt of statements) {
      try {
        await client.query(stmt.sql);
      } catch (err) {
        if (original !== undefined && !sameError(err, original)) return undefined;
        return stmt.offset + (serverOffset(err, stmt.sql, 0, stmt.sql.length) ?? 0);
      }
    }
    return undefined;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

function sameError(a: unknown, b: unknown): boolean {
  const x = a as { code?: string; message?: string };
  const y = b as { code?: string; message?: string };
  return x.code === y.code && x.message === y.message;
}

/**
 * The server's 1-based error position (in characters: code points) as a UTF-16 offset into
 * the section that starts at `prefix` in `query`, if it falls there.
 */
export function serverOffset(err: unknown, query: string, prefix: number, length: number): number | undefined {
  const pos = Number((err as { position?: string }).position);
  if (!Number.isFinite(pos) || pos <= 0) return undefined;
  const offset = utf16Index(query, pos - 1) - prefix;
  return offset >= 0 && offset <= length ? offset : undefined;
}
