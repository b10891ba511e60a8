import { stripVTControlCharacters } from 'node:util';

/** A plain text table, columns padded to the widest cell (colour codes do not count). */
export function renderTable(header: string[], rows: string[][]): string {
  const width = (s: string) => stripVTControlCharacters(s).length;
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
