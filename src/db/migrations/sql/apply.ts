import type { Client } from 'pg';
import { EXIT, TmError, type Problem } from '../../../errors.js';
import type { MigrationFile, Section } from './file.js';
import { HISTORY_TABLE } from './history.js';
import { lineColumn, splitStatements } from '../../sql-split.js';
import { locateFailingStatement, serverOffset } from '../../sql-errors.js';

const BEGIN = 'BEGIN;\n';

/**
 * Applies one file's up section and records it, in one round trip: BEGIN, the file as the
 * server parses it (no splitting by hand), the history row, COMMIT. On error the file's
 * transaction is rolled back and the error names file:line:column.
 */
export async function applyUp(client: Client, file: MigrationFile): Promise<void> {
  const record =
    `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, duration_ms) VALUES ` +
    `(${lit(client, file.version)}, ${lit(client, file.name)}, ${lit(client, file.checksum)}, ${ELAPSED})`;
  await runSection(client, file, file.up, record);
}

export async function applyDown(client: Client, file: MigrationFile): Promise<void> {
  await runSection(client, file, file.down!, `DELETE FROM ${HISTORY_TABLE} WHERE version = ${lit(client, file.version)}`);
}

/** Milliseconds since the query message arrived: the file's own run time. */
const ELAPSED = `(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer`;

async function runSection(client: Client, file: MigrationFile, section: Section, record: string): Promise<void> {
  if (!section.transaction) return runWithoutTransaction(client, file, section, record);
  const query = `${BEGIN}${section.sql}\n;\n${record};\nCOMMIT;`;
  try {
    await client.query(query);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    let offset = serverOffset(err, query, BEGIN.length, section.sql.length);
    if (offset === undefined) offset = await locateFailingStatement(client, section.sql, err);
    throw migrationError(file, section, err, offset);
  }
}

/**
 * `transaction:false` (e.g. CREATE INDEX CONCURRENTLY): each statement is its own query,
 * because a multi-statement query is itself an implicit transaction. A failure leaves the
 * statements before it applied; the file is not recorded.
 */
async function runWithoutTransaction(client: Client, file: MigrationFile, section: Section, record: string): Promise<void> {
  for (const stmt of splitStatements(section.sql)) {
    try {
      await client.query(stmt.sql);
    } catch (err) {
      const inStmt = serverOffset(err, stmt.sql, 0, stmt.sql.length) ?? 0;
      throw migrationError(file, section, err, stmt.offset + inStmt, 'statements before it stay applied (transaction:false)');
    }
  }
  await client.query(record.replace(ELAPSED, '0'));
}

function migrationError(file: MigrationFile, section: Section, err: unknown, offset: number | undefined, note?: string): TmError {
  const e = err as { message?: string; code?: string; detail?: string; hint?: string };
  const where = lineColumn(section.text, section.offset + (offset ?? 0));
  const problem: Problem = {
    file: section.path,
    line: where.line,
    column: offset === undefined ? undefined : where.column,
    message: `${e.message ?? String(err)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`,
  };
  const details = [e.detail && `detail: ${e.detail}`, e.hint && `server hint: ${e.hint}`, note].filter((d): d is string => Boolean(d));
  const kind = section === file.down ? 'rollback of' : 'migration';
  const outcome = note ? 'failed part-way' : 'failed and was rolled back';
  return new TmError('TM_MIGRATION_FAILED', `${kind} ${file.version}_${file.name} ${outcome}`, {
    exit: EXIT.migration,
    problems: [problem],
    details,
    hint: note
      ? 'the statements before it in this file stayed applied: undo them, or make them safe to repeat (IF NOT EXISTS), then run tm db migrate again'
      : 'fix the SQL and run tm db migrate again; migrations before it stay applied',
    cause: err,
  });
}

function lit(client: Client, value: string): string {
  return client.escapeLiteral(value);
}
