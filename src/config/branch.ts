import { createHash } from 'node:crypto';
import { databasePath, type PostgresService } from '../catalog/postgres.js';
import { defaultBranch, findGit, readHead, type GitDirs } from './git.js';
import type { Config } from './load.js';
import { localService } from './services.js';

// Branch databases (`db.branches: true`): the database follows the git branch. The default
// branch uses the configured database; any other branch `<db>__<branch-slug>`, and a detached
// HEAD (a tag, a bisect) one shared `<db>___detached`. Applied as the config is loaded (as the
// stack's ports are), so every command sees the branch's database without asking: the URLs
// of the postgres service on this machine name it, and a DATABASE_URL of the env files that
// tm wrote (the service's server, the configured database or a branch database of it) is
// read as naming it too. Files tm renders for the project (compose, k8s) keep the configured
// name: they are the project's, not this checkout's.

/** PostgreSQL's limit on an identifier, in bytes (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER = 63;
/** The slug of a detached HEAD: no branch's slug starts with `_`. */
const DETACHED_SLUG = '_detached';

/** Which database this checkout uses, and why. */
export interface BranchFact {
  /** The checked-out branch; undefined when HEAD is detached. */
  branch?: string;
  /** The commit of a detached HEAD. */
  detached?: string;
  /** The repository's default branch (db.default_branch, origin's HEAD, main or master). */
  defaultBranch: string;
  /** The configured database: the default branch's, and where branch databases start from. */
  base: string;
  /** The database of this checkout (`base` on the default branch). */
  database: string;
  /** The git directories, for what needs more than HEAD (the reflog, the branches). */
  git: GitDirs;
}

/**
 * A branch's part of a database name: lowercase, runs of anything but [a-z0-9_] as one `_`,
 * no `_` at either end (so it never looks like DETACHED_SLUG).
 */
export function branchSlug(branch: string): string {
  return (
    branch
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_+|_+$/g, '') || 'branch'
  );
}

/**
 * `<base>__<slug>`, within 63 bytes: a longer name is cut and ends with 8 hex digits of the
 * branch's full name, so two long branches that share a beginning still get two databases.
 */
export function branchDatabaseName(base: string, slug: string, full = slug): string {
  const name = `${base}__${slug}`;
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER) return name;
  const tag = `_${createHash('sha256').update(`${base}\0${full}`).digest('hex').slice(0, 8)}`;
  let cut = name;
  while (Buffer.byteLength(cut) > MAX_IDENTIFIER - tag.length) cut = [...cut].slice(0, -1).join('');
  return `${cut}${tag}`;
}

/** The database of a branch (undefined: a detached HEAD), given the configured one and the default branch. */
export function databaseOfBranch(base: string, branch: string | undefined, defaultName: string): string {
  if (branch === defaultName) return base;
  return branch === undefined ? branchDatabaseName(base, DETACHED_SLUG) : branchDatabaseName(base, branchSlug(branch), branch);
}

/** The project's postgres service (the first), whose database follows the branch. */
export function branchService(config: Pick<Config, 'services'>): PostgresService | undefined {
  return config.services.find((s): s is PostgresService => s.kind === 'postgres');
}

/**
 * The config as this checkout sees it: with `db.branches`, inside a git work tree, the
 * postgres service's URLs name the branch's database. Outside git, or without a postgres
 * service, nothing changes. Reads two or three small files of .git; runs no git process.
 */
export function applyBranch(config: Config): Config {
  if (!config.db.branches) return config;
  const pg = branchService(config);
  const git = pg && findGit(config.root);
  const head = git && readHead(git);
  if (!pg || !git || !head) return config;
  const defaultName = defaultBranch(git, config.db.default_branch);
  const branch = 'branch' in head ? head.branch : undefined;
  const database = databaseOfBranch(pg.database, branch, defaultName);
  const fact: BranchFact = { branch, detached: 'detached' in head ? head.detached : undefined, defaultBranch: defaultName, base: pg.database, database, git };
  const services = config.services.map((s) => (s === pg ? { ...pg, branchDatabase: database === pg.database ? undefined : database } : s));
  return { ...config, services, branch: fact };
}

/** True when `db` is the configured database or a branch database of it, by name. */
export function isProjectDatabase(base: string, db: string): boolean {
  return db === base || db.startsWith(`${base}__`);
}

const URL_PARTS = /^(postgres(?:ql)?:\/\/[^/?#]*\/)([^?#]*)(.*)$/is;

/**
 * A database URL the way tm wrote it (its postgres service on this machine, the configured
 * database or a branch database of it), naming the branch's database instead; any other
 * value as it is. Only the path changes: the rest stays as written.
 */
export function followBranch(config: Pick<Config, 'services' | 'branch'>, url: string): string {
  const fact = config.branch;
  if (!fact) return url;
  const m = URL_PARTS.exec(url);
  const pg = branchService(config);
  if (!m || !pg || localService(config.services, url) !== pg) return url;
  let db: string;
  try {
    db = decodeURIComponent(m[2]!);
  } catch {
    return url;
  }
  if (db === fact.database || !isProjectDatabase(fact.base, db)) return url;
  return `${m[1]}${databasePath(fact.database)}${m[3]}`;
}
