import { chmod, lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { findGit } from '../config/git.js';
import type { Config } from '../config/load.js';
import { EXIT, TmError } from '../errors.js';
import { runCommand } from '../util/run-command.js';

// `tm hooks install`: a git post-checkout hook that runs tm after each branch checkout, so
// the DATABASE_URL line of .env names the new branch's database (and the database is made)
// before an app started by hand reads it. A hook the user already has is never replaced: tm's
// lines are appended to a shell hook, between markers, and a hook tm cannot safely extend is
// refused with the lines to add by hand.

const BEGIN = '# >>> tm hooks install: the database follows the git branch (taskmaster)';
const END = '# <<< tm hooks install';

export interface HookResult {
  file: string;
  action: 'created' | 'appended' | 'updated' | 'unchanged';
}

/** The hooks folder git uses for this checkout (core.hooksPath, else the repository's hooks/). */
async function hooksDir(config: Config): Promise<{ dir: string; top: string }> {
  const git = findGit(config.root);
  if (!git) {
    throw new TmError('TM_NO_GIT', `${config.root} is not in a git work tree: there is no checkout to follow`, { exit: EXIT.usage, hint: 'git init' });
  }
  // git itself says where hooks go (core.hooksPath: husky's .husky/): this runs once, at install.
  const out = await runCommand(['git', 'rev-parse', '--git-path', 'hooks'], {
    cwd: git.top,
    code: 'TM_GIT_FAILED',
    hint: 'is git installed? (tm reads the branch without it, but asks it where hooks live)',
  });
  return { dir: resolve(git.top, out.trim()), top: git.top };
}

/** The lines tm adds: run tm in the project after a branch checkout (not a file checkout: $3 is 0 then). */
export function hookBlock(projectDir: string): string {
  const dir = `'${projectDir.replace(/'/g, `'\\''`)}'`;
  return [
    BEGIN,
    'if [ "$3" = 1 ]; then',
    `  if [ -x ${dir}/node_modules/.bin/tm ]; then ${dir}/node_modules/.bin/tm -C ${dir} hooks run post-checkout "$@" || true`,
    `  elif command -v tm >/dev/null 2>&1; then tm -C ${dir} hooks run post-checkout "$@" || true`,
    '  fi',
    'fi',
    END,
  ].join('\n');
}

/** Where the hook is and whether it holds tm's lines. */
export async function hookState(config: Config): Promise<{ file: string; installed: boolean }> {
  const { dir } = await hooksDir(config);
  const file = join(dir, 'post-checkout');
  const text = await readFile(file, 'utf8').catch(() => '');
  return { file, installed: text.includes(BEGIN) };
}

/** Writes tm's lines into the post-checkout hook: a new hook, appended to a shell hook, or updated in place. */
export async function installHook(config: Config): Promise<HookResult> {
  const { dir, top } = await hooksDir(config);
  const file = join(dir, 'post-checkout');
  const block = hookBlock(relative(top, config.root) || '.');
  const link = await lstat(file).catch(() => undefined);
  if (link?.isSymbolicLink()) throw cannotExtend(file, block, 'it is a symbolic link (tm does not write through it)');
  const text = link ? await readFile(file, 'utf8') : undefined;
  if (text === undefined) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, `#!/bin/sh\n${block}\n`, { mode: 0o755, flag: 'wx' });
    return { file, action: 'created' };
  }
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END, start);
  if (start >= 0 && end > start) {
    const next = `${text.slice(0, start)}${block}${text.slice(end + END.length)}`;
    if (next === text) return { file, action: 'unchanged' };
    await writeFile(file, next);
    return { file, action: 'updated' };
  }
  if (!/^#!\s*\S*\/(env\s+)?(sh|bash|dash|zsh)\b/.test(text)) throw cannotExtend(file, block, 'it is not a shell script');
  // A hook that ends itself before its last line would never reach lines appended after it.
  if (/^(exit|exec)\b/m.test(text)) throw cannotExtend(file, block, 'it ends with exit or exec, so appended lines would never run');
  await writeFile(file, `${text}${text.endsWith('\n') ? '' : '\n'}\n${block}\n`);
  await chmod(file, ((await lstat(file)).mode & 0o777) | 0o111);
  return { file, action: 'appended' };
}

function cannotExtend(file: string, block: string, why: string): TmError {
  return new TmError('TM_HOOK_EXISTS', `${file} is your own post-checkout hook and ${why}; it was left as it is`, {
    exit: EXIT.usage,
    hint: `make it run these lines after a branch checkout (git passes the same arguments):\n${block}`,
  });
}
