import type { Config } from '../../config/load.js';
import type { MigrationLayout } from '../../config/schema.js';
import type { TmError } from '../../errors.js';
import type { DatabaseTarget } from '../connect.js';
import type { LockOptions } from '../lock.js';

/**
 * The migrations of one project, whatever their layout (tm's SQL files in dbmate's format,
 * Prisma's folders...). Commands talk to this and never ask which layout it is: what a layout
 * cannot do is a missing member, and `unsupported` gives the refusal with the fix.
 */
export interface Migrations {
  /** The layout: `dbmate`, `golang-migrate`, `flyway`, `prisma`. */
  readonly format: string;
  /** What one migration is called in messages: "migration", "Prisma migration". */
  readonly noun: string;
  /** The folder that holds them (absolute; it need not exist yet). */
  readonly dir: string;
  /** Files older than the newest applied one can be applied on request (`--allow-out-of-order`). */
  readonly outOfOrder: boolean;
  /** Nothing to migrate, and migrating would not touch the database: `tm up` leaves the step out. */
  isEmpty(): boolean;
  /** The files in the order they apply, by path and checksum: what a fresh database is built from. */
  files(): Promise<MigrationSource[]>;
  /** Files and history side by side; read-only (no lock, nothing created). */
  status(target: DatabaseTarget): Promise<StatusReport>;
  /** Applies what is pending, under the layout's advisory lock; `dryRun` only says what would run. */
  migrate(target: DatabaseTarget, opts?: MigrateOptions): Promise<MigrateResult>;
  /** Runs the down sections of the newest applied migrations, newest first. */
  rollback?(target: DatabaseTarget, opts?: RollbackOptions): Promise<VersionedFile[]>;
  /** Rolls back the newest applied migration and applies it again (for iterating on it). */
  redo?(target: DatabaseTarget, opts?: RunOptions): Promise<VersionedFile[]>;
  /** Accepts edited files as they are now and forgets applied files that are gone. */
  repair?(target: DatabaseTarget, opts?: RepairOptions): Promise<RepairChange[]>;
  /** Records a migration as applied, or a failed one as rolled back, without running it. */
  resolve?(target: DatabaseTarget, action: ResolveAction, opts?: RunOptions): Promise<string>;
  /** Writes a new, empty migration; returns its path relative to the project root. */
  newFile?(name: string, now?: Date): Promise<string>;
  /** Why this layout cannot do `capability` (asked for by `command`), and what to do instead. */
  unsupported(capability: Capability, command: string): TmError;
}

/** The members of `Migrations` a layout may lack. */
export type Capability = 'rollback' | 'redo' | 'repair' | 'resolve' | 'newFile' | 'outOfOrder';

/**
 * One way of keeping migrations. `detect` returns the project's migrations when the project
 * uses this layout, undefined when it does not, and throws when it does but cannot be used.
 */
export interface Layout {
  readonly format: MigrationLayout;
  /** Whether the folder `dir` holds migrations in this layout (file names only, nothing read). */
  holds(dir: string): boolean;
  /** The project's migrations in this layout, whatever its files (`db.layout` names it). */
  open(config: Config): Promise<Migrations>;
  detect(config: Config): Promise<Migrations | undefined>;
}

/** A migration file by path (relative to the project root) and checksum. */
export interface MigrationSource {
  path: string;
  checksum: string;
}

/** The lock's timeout and Ctrl-C (which also stops a run between files). */
export interface RunOptions extends LockOptions {
  /** Called after each file with its name as tm prints it, for progress. */
  onFile?: (name: string, ms: number) => void;
}

export interface MigrateOptions extends RunOptions {
  /** The last migration to apply: a version, or a Prisma folder (its name or timestamp). */
  to?: string;
  dryRun?: boolean;
  /** Apply files older than the newest applied one instead of refusing them (where `outOfOrder`). */
  allowOutOfOrder?: boolean;
  /** An applied file that changed since is an error, where the layout otherwise only warns. */
  strict?: boolean;
  /** Things worth a line that do not stop the run. */
  onWarning?: (message: string) => void;
  /** Called once another tool's history has been imported, before any file runs. */
  onTakeover?: (takeover: TakeoverSummary) => void;
}

/** Another tool's history imported into tm's (with dryRun: what would be), on the first run against its database. */
export interface TakeoverSummary {
  /** The tool that wrote it: `dbmate`, `golang-migrate`, `flyway`. */
  from: string;
  /** Its table, which is left as it is. */
  table: string;
  /** The versions recorded as applied in tm's history. */
  imported: string[];
  /** Versions that tool recorded with no file here: not imported. */
  without_file: string[];
  /** Files edited since that tool applied them (by its checksum, where it keeps one): recorded as they are now. */
  changed_since: string[];
}

export interface RollbackOptions extends RunOptions {
  steps?: number;
  /** Roll back every applied migration newer than this version. */
  to?: string;
}

export interface RepairOptions extends RunOptions {
  /** Only this migration. */
  version?: string;
  /** Say what would change; change nothing. */
  dryRun?: boolean;
}

export type ResolveAction = { applied: string } | { rolledBack: string };

export interface AppliedFile {
  /** The leading digits of a versioned file; a Prisma folder has its name only. */
  version?: string;
  name: string;
  path: string;
  duration_ms: number;
}

/** A file of a versioned layout (the only ones that roll back). */
export type VersionedFile = AppliedFile & { version: string };

export interface MigrateResult {
  applied: AppliedFile[];
  /** Applied migrations whose file changed since, where that is a warning (Prisma). */
  modified?: string[];
  /** With dryRun: what would run; nothing changed. */
  dry_run?: { version?: string; name: string; path: string; sql: string }[];
  /** Another tool's history taken over by this run (with dryRun: that would be). */
  takeover?: TakeoverSummary;
}

export interface RepairChange {
  version: string;
  name: string;
  change: 'checksum re-recorded' | 'forgotten (file missing)';
  /** For a re-recorded checksum: what was recorded, and the file's now. */
  from?: string;
  to?: string;
}

export type MigrationState = 'applied' | 'pending' | 'out-of-order' | 'edited' | 'missing' | 'failed';

/** One migration in a status: what every layout has (each adds its own fields, printed with --json). */
export interface StatusRow {
  /** The file's description (`create_users`), or a Prisma folder's name. */
  name: string;
  state: MigrationState;
  /** The leading digits of a versioned file. */
  version?: string;
  /** The file relative to the project root; absent when only the history knows it. */
  path?: string;
}

/** A cell of the status table: text, or a state (coloured by the reporter) with notes after it. */
export type StatusCell = string | { state: MigrationState; notes?: { text: string; tone: 'warn' | 'dim' }[] };

export interface StatusReport {
  rows: StatusRow[];
  /** Applied, and pending (out-of-order files count as pending): for tm status and the doctor. */
  applied: number;
  pending: number;
  /** Rows that stop migrate until someone fixes them (edited, missing, failed), and that fix. */
  broken: StatusRow[];
  fix: string;
  /** What `tm db status --json` prints: the counts, then the rows as `migrations`. */
  json: Record<string, unknown>;
  /** Worth a line each, not an error (an applied file that changed since). */
  warnings: string[];
  /** The table `tm db status` prints, and the line under it. */
  table: { head: string[]; rows: StatusCell[][] };
  summary: string;
  /** What `--exit-code` (something to do: exit 1) and `--strict` fail with; undefined when they pass. */
  verdict(opts: { exitCode?: boolean; strict?: boolean }): TmError | undefined;
}
