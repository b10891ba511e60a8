import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

// What tm needs to know of a git checkout, read from its files: no git process, because the
// branch is asked for on every command of a project with branch databases. Worktrees
// included: their `.git` is a file naming the worktree's own git directory, which has a
// `commondir` file pointing at the repository's shared one (refs, packed-refs, hooks).

/** A checkout's git directories. */
export interface GitDirs {
  /** The folder holding `.git` (the work tree's top). */
  top: string;
  /** This work tree's git directory: HEAD, its reflog, a rebase in progress. */
  gitDir: string;
  /** The repository's shared directory: branches, packed-refs, remotes, hooks. */
  commonDir: string;
}

/** What HEAD says: a branch, or a commit (detached: a tag, a bisect) with the branch a rebase is rewriting. */
export type Head = { branch: string } | { detached: string };

/** The git directories of the checkout holding `dir`, looked for upwards; undefined outside git. */
export function findGit(dir: string): GitDirs | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const dotGit = join(at, '.git');
    const kind = kindOf(dotGit);
    if (kind === 'dir') return withCommon(at, dotGit);
    if (kind === 'file') {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? '');
      if (m) return withCommon(at, isAbsolute(m[1]!) ? m[1]! : resolve(at, m[1]!));
    }
    if (dirname(at) === at) return undefined;
  }
}

function withCommon(top: string, gitDir: string): GitDirs {
  const common = readText(join(gitDir, 'commondir'))?.trim();
  return { top, gitDir, commonDir: common ? resolve(gitDir, common) : gitDir };
}

/**
 * The checked-out branch. A detached HEAD during a rebase belongs to the branch being rebased
 * (git keeps its name in rebase-merge/ or rebase-apply/); otherwise it is a commit.
 */
export function readHead(git: GitDirs): Head | undefined {
  const head = readText(join(git.gitDir, 'HEAD'))?.trim();
  if (!head) return undefined;
  const ref = /^ref:\s*refs\/heads\/(.+)$/.exec(head);
  if (ref) return { branch: ref[1]! };
  for (const dir of ['rebase-merge', 'rebase-apply']) {
    const name = /^refs\/heads\/(.+)$/.exec(readText(join(git.gitDir, dir, 'head-name'))?.trim() ?? '');
    if (name) return { branch: name[1]! };
  }
  return /^[0-9a-f]{40,64}$/.test(head) ? { detached: head } : undefined;
}

/** Every local branch: loose refs under refs/heads and those in packed-refs. */
export function localBranches(git: GitDirs): Set<string> {
  const out = new Set<string>();
  const heads = join(git.commonDir, 'refs', 'heads');
  const walk = (dir: string, prefix: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.isFile() && !e.name.endsWith('.lock')) out.add(`${prefix}${e.name}`);
    }
  };
  walk(heads, '');
  for (const line of (readText(join(git.commonDir, 'packed-refs')) ?? '').split('\n')) {
    const m = /^[0-9a-f]{40,64} refs\/heads\/(.+)$/.exec(line.trim());
    if (m) out.add(m[1]!);
  }
  return out;
}

/**
 * The default branch: `configured` (db.default_branch), else the one origin's HEAD points at
 * (set by git clone), else main or master when the repository has it, else main.
 */
export function defaultBranch(git: GitDirs, configured?: string): string {
  if (configured) return configured;
  const origin = /^ref:\s*refs\/remotes\/origin\/(.+)$/.exec(readText(join(git.commonDir, 'refs', 'remotes', 'origin', 'HEAD'))?.trim() ?? '');
  if (origin) return origin[1]!;
  return ['main', 'master'].find((b) => hasBranch(git, b)) ?? 'main';
}

/** Whether a local branch exists: its loose ref, else a line of packed-refs (no walk of every branch: this runs on every command). */
function hasBranch(git: GitDirs, name: string): boolean {
  if (kindOf(join(git.commonDir, 'refs', 'heads', name)) === 'file') return true;
  return (readText(join(git.commonDir, 'packed-refs')) ?? '').includes(` refs/heads/${name}\n`);
}

/**
 * The branches `branch` came from, nearest first, as git's reflogs recorded them: the
 * branch's own (`branch: Created from A`, when it was made from a named branch: `git switch
 * -c B A`, `git branch B A`), else this work tree's HEAD (`checkout: moving from A to B`, the
 * first time B was checked out: A was checked out when B was made). Reflogs are local and
 * expire (90 days by default): an empty list then, and the caller falls back to the default
 * branch. The chain ends at `root` (the default branch): nothing past it is nearer.
 */
export function checkedOutFrom(git: GitDirs, branch: string, root?: string): string[] {
  const moved = new Map<string, string>();
  // The oldest entry of each branch is the one that made it: later ones are coming back.
  for (const c of checkouts(git)) if (c.from !== c.to && !moved.has(c.to)) moved.set(c.to, c.from);
  const parent = (b: string): string | undefined => createdFrom(git, b) ?? moved.get(b);
  const chain: string[] = [];
  for (let b = parent(branch); b !== undefined && !chain.includes(b) && b !== branch; b = b === root ? undefined : parent(b)) chain.push(b);
  return chain;
}

/** The named branch a branch's reflog says it was made from (`origin/A` counts as A); undefined for HEAD or a commit. */
function createdFrom(git: GitDirs, branch: string): string | undefined {
  const first = (readText(join(git.commonDir, 'logs', 'refs', 'heads', branch)) ?? '').split('\n', 1)[0] ?? '';
  const m = /\tbranch: Created from (?:refs\/heads\/|refs\/remotes\/origin\/|origin\/)?(.+)$/.exec(first);
  if (!m || m[1] === 'HEAD' || /^[0-9a-f]{7,64}$/.test(m[1]!)) return undefined;
  return m[1];
}

/** Every checkout this work tree's reflog remembers, oldest first (its last 4 MiB: a reflog of years is long). */
export function checkouts(git: GitDirs, maxBytes = 4 * 1024 * 1024): { from: string; to: string }[] {
  const text = readText(join(git.gitDir, 'logs', 'HEAD')) ?? '';
  const log = text.length > maxBytes ? text.slice(text.indexOf('\n', text.length - maxBytes) + 1) : text;
  const out: { from: string; to: string }[] = [];
  for (const line of log.split('\n')) {
    const m = /\tcheckout: moving from (.+) to (.+)$/.exec(line);
    if (m) out.push({ from: m[1]!, to: m[2]! });
  }
  return out;
}

function kindOf(path: string): 'dir' | 'file' | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
