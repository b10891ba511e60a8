import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes on disk under `dir` (blocks allocated, as du counts them; symbolic links not followed); 0 when it is missing or unreadable. */
export async function directorySize(dir: string): Promise<number> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.blocks * 512;
  const names = await readdir(dir).catch(() => [] as string[]);
  let total = st.blocks * 512;
  for (const name of names) total += await directorySize(join(dir, name));
  return total;
}
