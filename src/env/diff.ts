import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { parseEnvFile } from './parse.js';

export interface EnvDiffRow {
  key: string;
  contract: boolean;
  example: boolean;
  env: boolean;
}

export interface EnvDiff {
  rows: EnvDiffRow[];
  /** In the contract but not in .env.example / .env, and the other way round. */
  missing_in_example: string[];
  extra_in_example: string[];
  missing_in_env: string[];
  extra_in_env: string[];
}

/** Keys of the contract, `.env.example` and `.env` side by side, in both directions. */
export async function diffEnv(config: Config): Promise<EnvDiff> {
  const keysOf = async (name: string) => {
    const text = await readFile(join(config.root, name), 'utf8').catch(() => '');
    return new Set(parseEnvFile(text, name).entries.keys());
  };
  const contract = new Set(Object.keys(config.env));
  const example = await keysOf('.env.example');
  const env = await keysOf('.env');
  const all = [...new Set([...contract, ...example, ...env])].sort();
  const minus = (a: Set<string>, b: Set<string>) => [...a].filter((k) => !b.has(k)).sort();
  return {
    rows: all.map((key) => ({ key, contract: contract.has(key), example: example.has(key), env: env.has(key) })),
    missing_in_example: minus(contract, example),
    extra_in_example: minus(example, contract),
    missing_in_env: minus(contract, env),
    extra_in_env: minus(env, new Set([...contract, ...example])),
  };
}
