import { EXIT, TmError, type Problem } from '../../../errors.js';
import { compareVersions, type MigrationFile, type Section } from './file.js';
import { isTransactionControl, lineColumn, splitStatements } from '../../sql-split.js';
import type { MigrateOptions, RollbackOptions } from '../types.js';
import type { AppliedMigration } from './history.js';

export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing' | 'out-of-order';

export interface MigrationStatus {
  version: string;
  name: string;
  state: MigrationState;
  path?: string;
  applied_at?: string;
  duration_ms?: number;
  /** For `edited`: the checksum recorded when it was applied, and the file's now. */
  recorded_checksum?: string;
  file_checksum?: string;
}

/** Files and history side by side, in version order. Pure: no database, no disk. */
export function compare(files: MigrationFile[], applied: AppliedMigration[]): MigrationStatus[] {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const newest = applied.at(-1)?.version;
  const rows: MigrationStatus[] = files.map((f) => {
    const a = byVersion.get(f.version);
    if (!a) {
      const late = newest !== undefined && compareVersions(f.version, newest) < 0;
      return { version: f.version, name: f.name, path: f.path, state: late ? 'out-of-order' : 'pending' };
    }
    const base = { version: f.version, name: f.name, path: f.path, applied_at: a.applied_at.toISOString(), duration_ms: a.duration_ms };
    return a.checksum === f.checksum ? { ...base, state: 'applied' } : { ...base, state: 'edited', recorded_checksum: a.checksum, file_checksum: f.checksum };
  });
  const fileVersions = new Set(files.map((f) => f.version));
  for (const a of applied) {
    if (!fileVersions.has(a.version)) {
      rows.push({ version: a.version, name: a.name, state: 'missing', applied_at: a.applied_at.toISOString(), duration_ms: a.duration_ms });
    }
  }
  return rows.sort((x, y) => compareVersions(x.version, y.version));
}

/** `--to` names a version: the leading digits of a file name, e.g. 20240101120000 (`dotted`: Flyway's 1.1 too). */
export function checkVersion(value: string | undefined, flag = '--to', dotted = false): string | undefined {
  if (value === undefined) return undefined;
  if (!(dotted ? /^\d+(\.\d+)*$/ : /^\d+$/).test(value)) {
    throw new TmError('TM_USAGE', `${flag}: "${value.slice(0, 60)}" is not a migration version`, {
      exit: EXIT.usage,
      hint: `give the leading digits of a migration file name, e.g. ${flag} ${dotted ? '1.1' : '20240101120000'} (tm db status lists them)`,
    });
  }
  return value;
}

/**
 * What `migrate` will apply. Refuses (exit 6) before any SQL runs when an applied file was
 * edited or removed, or a new file is older than the newest applied one.
 */
export function planMigrate(files: MigrationFile[], applied: AppliedMigration[], opts: Pick<MigrateOptions, 'to' | 'allowOutOfOrder'> = {}): MigrationFile[] {
  const rows = compare(files, applied);
  const problems: Problem[] = [];
  for (const r of rows) {
    if (r.state === 'edited') {
      problems.push({
        file: r.path,
        message: `was edited after it was applied (recorded sha256 ${r.recorded_checksum!.slice(0, 12)}…, file now ${r.file_checksum!.slice(0, 12)}…)`,
      });
    } else if (r.state === 'missing') {
      problems.push({ message: `migration ${r.version}_${r.name} was applied but its file is gone` });
    } else if (r.state === 'out-of-order' && !opts.allowOutOfOrder) {
      problems.push({ file: r.path, message: `is older than the newest applied migration (${applied.at(-1)!.version}) and was never applied` });
    }
  }
  if (problems.length > 0) {
    const kinds = new Set(rows.map((r) => r.state));
    const hints = [
      kinds.has('edited') ? 'restore the applied file (git checkout it) and put changes in a new migration, or accept the edit with tm db repair' : '',
      kinds.has('missing') ? 'restore the missing file, or forget it with tm db repair' : '',
      kinds.has('out-of-order') && !opts.allowOutOfOrder ? 'give it a newer version (tm db new), or apply it anyway with --allow-out-of-order' : '',
    ].filter(Boolean);
    throw new TmError(
      'TM_MIGRATION_INTEGRITY',
      `refusing to migrate: ${problems.length} problem${problems.length > 1 ? 's' : ''} with the migration history; nothing was run`,
      {
        exit: EXIT.migration,
        problems,
        hint: hints.join('; '),
      },
    );
  }
  const pendingStates = new Set<MigrationState>(['pending', 'out-of-order']);
  const pending = new Set(rows.filter((r) => pendingStates.has(r.state)).map((r) => r.version));
  const out = files.filter((f) => pending.has(f.version) && (opts.to === undefined || compareVersions(f.version, opts.to) <= 0));
  refuseTransactionControl(out.map((f) => f.up));
  return out;
}

/**
 * tm wraps each transactional section in BEGIN ... COMMIT itself: a COMMIT of the file's own
 * would commit half the file and leave the rest (and the history row) outside any transaction.
 */
function refuseTransactionControl(sections: Section[]): void {
  const problems: Problem[] = [];
  for (const section of sections) {
    if (!section.transaction) continue;
    const stmt = splitStatements(section.sql).find((s) => isTransactionControl(s.sql));
    if (stmt) {
      const at = lineColumn(section.text, section.offset + stmt.offset);
      problems.push({
        file: section.path,
        line: at.line,
        column: at.column,
        message: `"${stmt.sql.split(/\s/)[0]}" in a section that tm already runs in a transaction`,
      });
    }
  }
  if (problems.length === 0) return;
  throw new TmError('TM_MIGRATION_INVALID', 'refusing to run migrations that control their own transaction; nothing was run', {
    exit: EXIT.migration,
    problems,
    hint: 'remove BEGIN/COMMIT (each file already runs in its own transaction), or mark the section "-- migrate:up transaction:false"',
  });
}

/** Newest first. Refuses when a target has no down section or no file. */
export function planRollback(files: MigrationFile[], applied: AppliedMigration[], opts: Pick<RollbackOptions, 'steps' | 'to'> = {}): MigrationFile[] {
  const newestFirst = [...applied].reverse();
  const targets = opts.to !== undefined ? newestFirst.filter((a) => compareVersions(a.version, opts.to!) > 0) : newestFirst.slice(0, opts.steps ?? 1);
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const problems: Problem[] = [];
  const out: MigrationFile[] = [];
  for (const t of targets) {
    const f = byVersion.get(t.version);
    if (!f) problems.push({ message: `migration ${t.version}_${t.name} has no file to roll back with` });
    else if (!f.down)
      problems.push({
        file: f.path,
        message: f.emptyDown
          ? 'its "-- migrate:down" section is empty, so it cannot be rolled back: write the SQL that undoes the up section under it'
          : 'has no "-- migrate:down" section, so it cannot be rolled back',
      });
    else if (f.checksum !== t.checksum) problems.push({ file: f.path, message: 'was edited after it was applied; its down section may not undo what ran' });
    else out.push(f);
  }
  if (problems.length === 0) refuseTransactionControl(out.map((f) => f.down!));
  if (problems.length > 0) {
    throw new TmError('TM_ROLLBACK_REFUSED', 'refusing to roll back; nothing was run', {
      exit: EXIT.migration,
      problems,
      hint: 'add a "-- migrate:down" section that undoes the up section, or write a new forward migration',
    });
  }
  return out;
}
