import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { followBranch } from '../config/branch.js';
import type { Config } from '../config/load.js';
import { insideProject } from '../util/inside.js';
import { quote } from './init.js';
import { parseEnvFile } from './parse.js';
import { writeSecretFile } from './write.js';

// With db.branches, the DATABASE_URL line of `.env` that tm wrote (the postgres service on
// this machine, the configured database or a branch database of it) is kept naming the
// branch's database, for apps started by hand, which read `.env` themselves. Only that
// line's value changes; a value written by hand (another server, another database) is never
// touched. tm up, the tm db commands and the post-checkout hook (tm hooks install) keep it.

/** The variables whose line follows the branch. */
const KEYS = ['DATABASE_URL', 'DIRECT_URL'] as const;

export interface EnvLineChange {
  key: string;
  file: string;
  line: number;
}

/** Rewrites the lines of `.env` that follow the branch when they name another database; returns what changed. */
export async function followBranchInEnv(config: Config): Promise<EnvLineChange[]> {
  if (!config.branch) return [];
  const file = join(config.root, '.env');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  const { entries } = parseEnvFile(text, '.env');
  const lines = text.split('\n');
  const changes: EnvLineChange[] = [];
  for (const key of KEYS) {
    const entry = entries.get(key);
    if (!entry) continue;
    const next = followBranch(config, entry.value);
    const at = entry.line - 1;
    // Only a line holding `KEY=value` (as tm writes it; a comment after an unquoted value stays) is rewritten.
    const m = new RegExp(`^(\\s*(?:export\\s+)?${key}\\s*=\\s*)([^'"\`\\s#][^\\s#]*|'[^']*'|"[^"]*")(\\s+#.*?)?(\\r?)$`).exec(lines[at] ?? '');
    if (next === entry.value || !m) continue;
    lines[at] = `${m[1]}${quote(next)}${m[3] ?? ''}${m[4]}`;
    changes.push({ key, file: '.env', line: entry.line });
  }
  if (changes.length > 0) await writeSecretFile(insideProject(config.root, file), lines.join('\n'));
  return changes;
}
