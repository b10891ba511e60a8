import { copyFile, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `file` atomically with mode 0600: a temporary file in the same directory, flushed
 * to disk, then renamed over the target. A crash leaves the old file or the new one, never
 * half of either.
 */
export async function writeSecretFile(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
}

/** Copies `file` to `<file>.backup-<timestamp>` (mode 0600) and returns the backup path. */
export async function backupFile(file: string, now = new Date()): Promise<string> {
  const backup = `${file}.backup-${now.toISOString().replace(/[:.]/g, '-')}`;
  await copyFile(file, backup);
  const fh = await open(backup, 'r+');
  await fh.chmod(0o600);
  await fh.close();
  return backup;
}
