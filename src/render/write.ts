import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { EXIT, TmError } from '../errors.js';

/** Rendered files stay inside the project directory. */
export function outputPath(root: string, path: string): string {
  const abs = resolve(root, path);
  const rel = relative(root, abs);
  if (rel.startsWith('..') || rel === '') {
    throw new TmError('TM_RENDER_OUTSIDE', `${path} is outside the project directory`, { exit: EXIT.usage, hint: 'give a path inside the project' });
  }
  return abs;
}

/** Writes atomically (temp file + rename). */
export async function writeRendered(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** A unified diff from the file on disk to what the model renders, or undefined when equal. */
export async function driftOf(file: string, shownAs: string, text: string): Promise<string | undefined> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return undefined;
  return createTwoFilesPatch(`${shownAs} (on disk)`, `${shownAs} (rendered)`, current ?? '', text, undefined, undefined, { context: 3 });
}
