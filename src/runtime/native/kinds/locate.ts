import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { which, type Discovery } from '../binaries.js';
import type { Program } from './types.js';

/** How to run a located program: `file` with `args` before the program's own. */
export interface Located {
  file: string;
  args: string[];
  source: string;
}

/**
 * Finds a kind's program: its npm package in the project (run with this Node), then each
 * candidate in order (an absolute path, or a name on PATH). Every miss is kept for tm doctor.
 */
export async function locateProgram(program: Program, opts: { projectRoot?: string; path?: string } = {}): Promise<Discovery<Located>> {
  const rejected: Discovery<Located>['rejected'] = [];
  if (program.npm) {
    const script = npmBin(program.npm.package, program.npm.bin, opts.projectRoot ?? process.cwd());
    if (script) return { found: { file: process.execPath, args: [script], source: `npm ${program.npm.package}` }, rejected };
    rejected.push({ source: `npm ${program.npm.package}`, reason: 'not installed in the project' });
  }
  for (const candidate of program.candidates) {
    // An absolute candidate is looked for in its own directory only.
    const file = isAbsolute(candidate) ? await which(basename(candidate), dirname(candidate)) : await which(candidate, opts.path);
    if (file) return { found: { file, args: [], source: isAbsolute(candidate) ? candidate : 'PATH' }, rejected };
    rejected.push({ source: candidate, reason: isAbsolute(candidate) ? 'not there' : 'not on PATH' });
  }
  return { rejected };
}

/** The JavaScript file of `bin` in `pkg`, resolved from `root` as the project would. */
function npmBin(pkg: string, bin: string, root: string): string | undefined {
  try {
    const manifest = createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`);
    const bins = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> }).bin;
    const rel = typeof bins === 'string' ? bins : bins?.[bin];
    return rel ? join(dirname(manifest), rel) : undefined;
  } catch {
    return undefined;
  }
}
