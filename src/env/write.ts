import { copyFile, open } from 'node:fs/promises';
import { writePrivateFile } from '../util/private-file.js';

/** Writes `.env` (or any file holding secrets): atomically, with mode 0600 (see writePrivateFile). */
export async function writeSecretFile(file: string, text: string): Promise<void> {
  await writePrivateFile(file, text);
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
