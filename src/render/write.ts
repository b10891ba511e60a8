import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { EXIT, TmError } from '../errors.js';
import { insideProject } from '../util/inside.js';
import { writePrivateFile } from '../util/private-file.js';

/** Rendered files stay inside the project directory, also past symbolic links. */
export function outputPath(root: string, path: string): string {
  if (relative(root, resolve(root, path)) === '') {
    throw new TmError('TM_RENDER_OUTSIDE', `${path} is the project directory itself`, { exit: EXIT.usage, hint: 'give a file path inside the project' });
  }
  return insideProject(root, path, { code: 'TM_RENDER_OUTSIDE', exit: EXIT.usage });
}

/** Writes atomically (temp file + rename); a file that holds secrets with mode 0600. */
export async function writeRendered(file: string, text: string, opts: { secret?: boolean } = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  if (opts.secret) return writePrivateFile(file, text);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** How a rendered file on disk differs from the model: a unified diff, or a one-line reason. */
export interface Drift {
  state: 'missing' | 'differs' | 'stale';
  diff: string;
}

/** The drift of the file on disk from what the model renders, or undefined when equal. */
export async function driftOf(file: string, shownAs: string, text: string): Promise<Drift | undefined> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return undefined;
  if (current === undefined) return { state: 'missing', diff: `${shownAs}: missing (tm renders it from taskmaster.yml)` };
  return { state: 'differs', diff: createTwoFilesPatch(`${shownAs} (on disk)`, `${shownAs} (rendered)`, current, text, undefined, undefined, { context: 3 }) };
}
