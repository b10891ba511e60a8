import { open, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** Emits lines appended to the files from now on, until `signal` aborts. */
export async function followFiles(sources: { name: string; file: string }[], onLine: (name: string, line: string) => void, signal: AbortSignal): Promise<void> {
  const offsets = await Promise.all(
    sources.map((s) =>
      stat(s.file).then(
        (st) => st.size,
        () => 0,
      ),
    ),
  );
  const partial = sources.map(() => '');
  while (!signal.aborted) {
    for (const [i, s] of sources.entries()) {
      const size = await stat(s.file).then(
        (st) => st.size,
        () => 0,
      );
      if (size < offsets[i]!) offsets[i] = 0; // truncated or recreated
      if (size === offsets[i]) continue;
      const fh = await open(s.file, 'r');
      try {
        const buf = Buffer.alloc(size - offsets[i]!);
        await fh.read(buf, 0, buf.length, offsets[i]);
        offsets[i] = size;
        const lines = (partial[i] + buf.toString('utf8')).split('\n');
        partial[i] = lines.pop()!;
        for (const line of lines) onLine(s.name, line);
      } finally {
        await fh.close();
      }
    }
    await delay(200, undefined, { signal }).catch(() => undefined);
  }
}
