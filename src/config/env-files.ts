import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { expand } from 'dotenv-expand';

/** The env files of a project, lowest precedence first. */
export const ENV_FILES = ['.env', '.env.local'] as const;

/** The texts of a project's env files, in `ENV_FILES` order; null for one that does not exist. */
export function readEnvTexts(root: string): (string | null)[] {
  return ENV_FILES.map((name) => {
    try {
      return readFileSync(join(root, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  });
}

/**
 * Variables as a project sees them: process environment over `.env.local` over `.env`, from
 * env file texts already read (parsed with `dotenv.parse`, never `config()`, which prints).
 */
export function variablesFrom(texts: (string | null)[], processEnv: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const merged: Record<string, string> = {};
  for (const text of texts) if (text !== null) Object.assign(merged, parse(text));
  return { ...expandEnv(merged, processEnv), ...processEnv };
}

/**
 * The env files' values with `${VAR}` expanded as dotenv-expand does (from the environment,
 * then the files): the one rule for what the services, `tm env show` and the apps get.
 */
export function expandEnv(parsed: Record<string, string>, processEnv: NodeJS.ProcessEnv): Record<string, string> {
  const values = { ...parsed };
  expand({ parsed: values, processEnv: { ...processEnv } as Record<string, string> });
  return values;
}

/** The same, reading the env files of `root`. */
export async function projectVariables(root: string, processEnv: NodeJS.ProcessEnv = process.env): Promise<Record<string, string | undefined>> {
  return variablesFrom(readEnvTexts(root), processEnv);
}
