import { readFile } from 'node:fs/promises';

/** The line an app's supervisor writes at each start (see supervisor.ts). */
export const START_MARKER = '--- tm: started ';

/**
 * A line that says what went wrong: `Error: ...`, `TypeError: ...`, `Error [ERR_X]: ...`, a
 * logger's `error ...` / `FATAL ...`, `npm error ...`, `panic: ...`. Not a stack frame
 * (`at ...`), nor the source line Node quotes above an uncaught error.
 */
const ERROR_LINE =
  /^\s*(?:Uncaught\s+)?(?:[A-Z][A-Za-z]*)?(?:Error|Exception)\b(?: \[[\w.]+\])?:|^\s*(?:\[?(?:error|fatal|err)\]?[\s:]|panic:|npm (?:ERR!|error)\b)/i;

/** The first line of `lines` that explains a failure, if any. */
export function firstErrorLine(lines: readonly string[]): string | undefined {
  return lines.find((l) => ERROR_LINE.test(l))?.trim();
}

/** The lines an app wrote since its last start (the whole log when no start is marked). */
export async function startOutput(logFile: string): Promise<string[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let start = lines.length;
  while (start > 0 && !lines[start - 1]!.startsWith(START_MARKER)) start--;
  return start === 0 ? lines : lines.slice(start);
}
