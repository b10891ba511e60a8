import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Config } from '../config/load.js';
import { EXIT, TmError } from '../errors.js';
import { insideProject } from '../util/inside.js';

/** A name given on the command line as a file name: lowercase words joined by `_`. */
export function slugOf(name: string): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new TmError('TM_USAGE', `"${name}" is not a usable file name`, { exit: EXIT.usage, hint: 'e.g. tm db new create_users' });
  return slug;
}

/** Writes a new file into `dir`, never over one; returns its path relative to the project root. */
export async function writeNew(config: Config, dir: string, name: string, text: string): Promise<string> {
  const file = insideProject(config.root, join(dir, name));
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(file, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TmError('TM_FILE_EXISTS', `${relative(config.root, file)} already exists`, { exit: EXIT.usage, hint: 'pick another name' });
    }
    throw err;
  }
  return relative(config.root, file);
}
