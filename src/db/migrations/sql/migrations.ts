import { EXIT, TmError } from '../../../errors.js';
import type { Migrations, StatusReport } from '../types.js';
import type { SqlFiles } from './file.js';
import type { MigrationStatus } from './plan.js';
import * as runner from './runner.js';
import { changedSinceWarnings, takeoverLine } from './takeover.js';

/** The Migrations of an SQL layout: its files, run by tm's runner against tm's history table. */
export function sqlMigrations(files: SqlFiles): Migrations {
  return {
    format: files.format,
    noun: 'migration',
    dir: files.dir,
    outOfOrder: true,
    isEmpty: () => !files.any(),
    files: () => files.read(),
    status: async (target) => {
      const { rows, takeover } = await runner.inspect(files, target);
      const report = statusReport(rows);
      const ignored = files.ignored?.() ?? [];
      return {
        ...report,
        json: { ...report.json, ...(takeover ? { takeover } : {}) },
        warnings: [
          ...(takeover ? [takeoverLine(takeover, 'next migrate'), ...changedSinceWarnings(takeover)] : []),
          ...ignored.map((name) => `${name} is not applied: a migration's name starts with its version (YYYYMMDDHHMMSS_${name}); tm db new names new ones so`),
        ],
      };
    },
    migrate: (target, opts) => runner.migrate(files, target, opts),
    rollback: (target, opts) => runner.rollback(files, target, opts),
    redo: (target, opts) => runner.redo(files, target, opts),
    repair: (target, opts) => runner.repair(files, target, opts),
    newFile: files.newFile,
    unsupported(capability, command) {
      if (capability === 'resolve') {
        return new TmError('TM_NOT_PRISMA', `${command} is for Prisma migrations, and this project has none`, {
          exit: EXIT.usage,
          hint: 'for SQL migrations, tm db repair re-records edited or missing files',
        });
      }
      return new TmError('TM_USAGE', `${command} is not available for ${files.format} migrations`, { exit: EXIT.usage });
    },
  };
}

/** Edited and missing files stop migrate; out-of-order ones count as pending. */
export function statusReport(rows: MigrationStatus[]): StatusReport {
  const count = (...states: string[]) => rows.filter((r) => states.includes(r.state)).length;
  const counts = { applied: count('applied'), pending: count('pending', 'out-of-order'), edited: count('edited'), missing: count('missing') };
  const broken = counts.edited + counts.missing;
  return {
    rows,
    applied: counts.applied,
    pending: counts.pending,
    broken: rows.filter((r) => r.state === 'edited' || r.state === 'missing'),
    fix: 'restore the files as applied, or tm db repair',
    json: { ...counts, migrations: rows },
    warnings: [],
    table: { head: ['version', 'name', 'state', 'applied at'], rows: rows.map((r) => [r.version, r.name, { state: r.state }, r.applied_at ?? '']) },
    summary:
      `${counts.applied} applied, ${counts.pending} ` +
      `pending${counts.edited ? `, ${counts.edited} edited` : ''}${counts.missing ? `, ${counts.missing} missing` : ''}`,
    verdict({ exitCode }) {
      if (!exitCode || counts.pending + broken === 0) return undefined;
      return new TmError(
        'TM_MIGRATIONS_PENDING',
        `${counts.pending} pending migration${counts.pending === 1 ? '' : 's'}${broken ? ' and history problems' : ''}`,
        {
          exit: EXIT.problems,
          hint: statusHint(broken > 0, count('out-of-order') > 0),
        },
      );
    },
  };
}

/** tm db migrate refuses edited, missing and out-of-order files: point at what unblocks it. */
function statusHint(broken: boolean, outOfOrder: boolean): string {
  const steps = [
    broken ? 'restore the edited or missing files (git checkout), or accept them with tm db repair' : '',
    outOfOrder ? 'give the out-of-order file a newer version (tm db new), or apply it with tm db migrate --allow-out-of-order' : '',
  ].filter(Boolean);
  return steps.length ? `${steps.join('; ')}; then tm db migrate` : 'tm db migrate';
}
