import { open, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { tailLines } from '../runtime/native/daemon.js';

export interface LogSource {
  name: string;
  file: string;
}

/** The last `n` lines of each source, prefixed by the service name when there are several. */
export async function readLogs(sources: LogSource[], n: number): Promise<string[]> {
  const out: string[] = [];
  for (const s of sources) {
    for (const line of await tailLines(s.file, n)) out.push(sources.length > 1 ? `${s.name} | ${line}` : line);
  }
  return out;
}

/** Emits lines appended to the files from now on, until `signal` aborts. */
export async function followLogs(sources: LogSource[], onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  const offsets = await Promise.all(sources.map((s) => stat(s.file).then((st) => st.size, () => 0)));
  const partial = sources.map(() => '');
  while (!signal.aborted) {
    for (const [i, s] of sources.entries()) {
      const size = await stat(s.file).then((st) => st.size, () => 0);
      if (size < offsets[i]!) offsets[i] = 0; // truncated or recreated
      if (size === offsets[i]) continue;
      const fh = await open(s.file, 'r');
      try {
        const buf = Buffer.alloc(size - offsets[i]!);
        await fh.read(buf, 0, buf.length, offsets[i]);
        offsets[i] = size;
        const lines = (partial[i] + buf.toString('utf8')).split('\n');
        partial[i] = lines.pop()!;
        for (const line of lines) onLine(sources.length > 1 ? `${s.name} | ${line}` : line);
      } finally {
        await fh.close();
      }
    }
    await delay(200, undefined, { signal }).catch(() => undefined);
  }
}
