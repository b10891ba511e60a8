import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Program } from '../../../catalog/types.js';
import { which, type Discovery } from '../binaries.js';
import { npmCacheRoot } from '../install-npm.js';

/** How to run a located program: `file` with `args` before the program's own. */
export interface Located {
  file: string;
  args: string[];
  source: string;
}

/**
 * Finds a kind's program: its npm package in the project, then in tm's cache (run with this
 * Node), then each candidate in order (an absolute path, or a name on PATH). Every miss is
 * kept for tm doctor.
 */
export async function locateProgram(
  program: Program,
  opts: { projectRoot?: string; path?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Discovery<Located>> {
  const rejected: Discovery<Located>['rejected'] = [];
  if (program.npm) {
    const { package: pkg, bin } = program.npm;
    const script = npmBin(pkg, bin, opts.projectRoot ?? process.cwd());
    if (script) return { found: { file: process.execPath, args: [script], source: `npm ${pkg}` }, rejected };
    rejected.push({ source: `npm ${pkg}`, reason: 'not installed in the project' });
    const cached = npmBin(pkg, bin, npmCacheRoot(pkg, opts.env));
    if (cached) return { found: { file: process.execPath, args: [cached], source: 'tm cache' }, rejected };
    rejected.push({ source: 'tm cache', reason: `no ${pkg} there` });
  }
  for (const candidate of program.candidates) {
    // An absolute candidate is looked for in its own directory only.
    const file = isAbsolute(candidate) ? await which(basename(candidate), dirname(candidate)) : await which(candidate, opts.path);
    if (file) return { found: { file, args: [], source: isAbsolute(candidate) ? candidate : 'PATH' }, rejected };
    rejected.push({ source: candidate, reason: isAbsolute(candidate) ? 'not there' : 'not on PATH' });
  }
  return { rejected };
}

/**
 * The JavaScript file of `bin` in `pkg`, found in `root`'s node_modules or a parent's, as
 * Node would find the package (its package.json itself, which `exports` may not list).
 */
function npmBin(pkg: string, bin: string, root: string): string | undefined {
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', pkg, 'package.json');
    const text = readText(manifest);
    if (text !== undefined) {
      try {
        const bins = (JSON.parse(text) as { bin?: string | Record<string, string> }).bin;
        const rel = typeof bins === 'string' ? bins : bins?.[bin];
        return rel ? join(dirname(manifest), rel) : undefined;
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
