import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvVarSpec } from '../config/schema.js';
import type { Problem } from '../errors.js';
import { ENV_FILES, expandEnv } from '../config/env-files.js';
import { parseEnvFile, type EnvEntry } from './parse.js';

export type ValueSource = 'environment' | 'file' | 'default' | 'devDefault' | 'unset';

/** One variable as the project sees it, with where its value came from. */
export interface ResolvedVar {
  key: string;
  value?: string;
  source: ValueSource;
  file?: string;
  line?: number;
}

export interface EnvState {
  vars: Map<string, ResolvedVar>;
  /** Lines of the env files that dotenv drops or misreads. */
  warnings: Problem[];
  /** Which env files exist. */
  files: string[];
}

/** Development unless TM_ENV / NODE_ENV says otherwise; devDefault applies only there. */
export function envMode(env: NodeJS.ProcessEnv = process.env): string {
  return env.TM_ENV || env.NODE_ENV || 'development';
}

/**
 * Resolves every variable of the contract and the env files: process environment over
 * `.env.local` over `.env`, `${VAR}` expanded as dotenv-expand does, then `default`, then
 * `devDefault` (development only).
 */
export async function resolveEnv(root: string, contract: Record<string, EnvVarSpec>, processEnv: NodeJS.ProcessEnv = process.env): Promise<EnvState> {
  const entries = new Map<string, EnvEntry>();
  const warnings: Problem[] = [];
  const files: string[] = [];
  for (const name of ENV_FILES) {
    const text = await readFile(join(root, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    files.push(name);
    const parsed = parseEnvFile(text, name);
    warnings.push(...parsed.warnings);
    for (const [k, e] of parsed.entries) entries.set(k, e);
  }
  const parsed = expandEnv(Object.fromEntries([...entries].map(([k, e]) => [k, e.value])), processEnv);

  const vars = new Map<string, ResolvedVar>();
  const dev = envMode(processEnv) === 'development';
  for (const key of new Set([...Object.keys(contract), ...entries.keys()])) {
    const entry = entries.get(key);
    const spec = contract[key];
    if (processEnv[key] !== undefined) vars.set(key, { key, value: processEnv[key], source: 'environment' });
    else if (entry) vars.set(key, { key, value: parsed[key], source: 'file', file: entry.file, line: entry.line });
    else if (spec?.default !== undefined) vars.set(key, { key, value: spec.default, source: 'default' });
    else if (dev && spec?.devDefault !== undefined) vars.set(key, { key, value: spec.devDefault, source: 'devDefault' });
    else vars.set(key, { key, source: 'unset' });
  }
  return { vars, warnings, files };
}
