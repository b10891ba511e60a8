import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file that holds a secret: mode 0600 and atomic. A new temporary file in the same
 * directory (created exclusively, so the mode is the one given here, never that of a file
 * left behind), flushed to disk, then renamed over the target: a crash leaves the old file
 * or the new one, never half of either, and an existing file's looser mode goes with it.
 * `owner`: the account that reads it (a server tm runs as its own user), handed over through
 * the open descriptor before the file has its name.
 */
export async function writePrivateFile(file: string, text: string, owner?: { uid: number; gid: number }): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await rm(tmp, { force: true });
  const fh = await open(tmp, 'wx', 0o600);
  try {
    if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) await fh.chown(owner.uid, owner.gid);
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
