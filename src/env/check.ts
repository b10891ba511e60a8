import { readFile } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Config } from '../config/load.js';
import type { Problem } from '../errors.js';
import { checkEnv, type Declarations } from './contract.js';
import { resolveEnv, type EnvState } from './resolve.js';

/** Where each variable of `env:` is declared in taskmaster.yml (path relative to the project). */
export async function envDeclarations(config: Config): Promise<Declarations> {
  const out: Declarations = new Map();
  const text = await readFile(config.file, 'utf8').catch(() => undefined);
  if (text === undefined) return out;
  const lineCounter = new LineCounter();
  const env = parseDocument(text, { lineCounter }).get('env', true);
  if (!isMap(env)) return out;
  const file = relative(config.root, config.file) || basename(config.file);
  for (const pair of env.items) {
    if (!isScalar(pair.key) || !pair.key.range) continue;
    const pos = lineCounter.linePos(pair.key.range[0]);
    out.set(String(pair.key.value), { file, line: pos.line, column: pos.col });
  }
  return out;
}

/**
 * The environment of a project checked against its contract: every problem (those without a
 * `path` are warnings about the env files), a variable that is not set pointing at its declaration.
 */
export async function checkProjectEnv(config: Config, processEnv: NodeJS.ProcessEnv = process.env): Promise<{ state: EnvState; problems: Problem[] }> {
  const state = await resolveEnv(config.root, config.env, processEnv);
  return { state, problems: checkEnv(config.env, state, await envDeclarations(config)) };
}
