import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';

/** The env files of a project, lowest precedence first. */
export const ENV_FILES = ['.env', '.env.local'] as const;

/** Reads a dotenv file with `dotenv.parse` (never `config()`, which prints); a missing file is empty. */
export async function readEnvFile(file: string): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parse(text);
}

/** The same precedence over env file texts already read (`ENV_FILES` order, null when absent). */
export function variablesFrom(texts: (string | null)[], processEnv: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = {};
  for (const text of texts) if (text !== null) Object.assign(merged, parse(text));
  return { ...merged, ...processEnv };
}

/** Variables as a project sees them: process environment over `.env.local` over `.env`. */
export async function projectVariables(root: string, processEnv: NodeJS.ProcessEnv = process.env): Promise<Record<string, string | undefined>> {
  const merged: Record<string, string | undefined> = {};
  for (const name of ENV_FILES) Object.assign(merged, await readEnvFile(join(root, name)));
  return { ...merged, ...processEnv };
}
