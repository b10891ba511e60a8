import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder of tm's own package.json: the same from src/ (tests), dist/ and the bundled
 * chunks, so templates and helper scripts are found wherever the code runs from.
 */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) {
      root = dir;
      return root;
    }
    if (dirname(dir) === dir) throw new Error('cannot find the taskmaster package root');
  }
}

/** A script of tm's that runs as its own process, built to `dist/<relPath>`. */
export function builtScript(relPath: string): string {
  return join(packageRoot(), 'dist', relPath);
}
