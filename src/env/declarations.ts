import { readFile } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Config } from '../config/load.js';
import type { Declarations } from './contract.js';

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
