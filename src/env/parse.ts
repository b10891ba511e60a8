import { parse } from 'dotenv';
import type { Problem } from '../errors.js';

/** A value from an env file, with where it came from. */
export interface EnvEntry {
  key: string;
  value: string;
  file: string;
  line: number;
}

export interface ParsedEnvFile {
  entries: Map<string, EnvEntry>;
  /** Lines dotenv drops or misreads, with file:line. */
  warnings: Problem[];
}

// dotenv's own line pattern (dotenv/lib/main.js), used only to learn which line each key is
// on and which lines it skips; the values themselves always come from dotenv.parse.
const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

/** Parses exactly as `dotenv.parse` does, adding lines and warnings. */
export function parseEnvFile(text: string, file: string): ParsedEnvFile {
  const values = parse(text);
  const src = text.replace(/\r\n?/g, '\n');
  const lineStarts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  const entries = new Map<string, EnvEntry>();
  const warnings: Problem[] = [];
  const covered = new Set<number>();
  for (const m of src.matchAll(LINE)) {
    const key = m[1]!;
    const keyOffset = m.index! + m[0].search(/\S/) + (m[0].trimStart().startsWith('export') ? m[0].trimStart().indexOf(key) : 0);
    const first = lineOf(keyOffset);
    const last = lineOf(m.index! + m[0].length - (m[0].endsWith('\n') ? 1 : 0));
    for (let l = first; l <= last; l++) covered.add(l);
    const previous = entries.get(key);
    if (previous) warnings.push({ file, line: first, message: `${key} is set again (line ${previous.line} is overridden)` });
    const raw = m[2] ?? '';
    // `KEY=abc#def` reads as "abc": a # right after the value is more likely part of it.
    if (raw && !/^\s*['"`]/.test(raw) && !/\s$/.test(raw) && m[0].charAt(m[0].indexOf(raw) + raw.length) === '#') {
      // The value itself is not shown: it may be a secret.
      warnings.push({ file, line: first, message: `${key}: "#" cuts the value short (dotenv reads only what comes before it); quote the value` });
    }
    const quoteChar = /^\s*(['"`])/.exec(raw)?.[1];
    const quoted = raw.trim();
    if (quoteChar && (quoted.length < 2 || !quoted.endsWith(quoteChar))) {
      warnings.push({ file, line: first, message: `${key}: the opening ${quoteChar} is never closed (dotenv keeps it as part of the value); close the quote` });
    }
    entries.set(key, { key, value: values[key] ?? '', file, line: first });
  }
  src.split('\n').forEach((text, i) => {
    const t = text.trim();
    if (t === '' || t.startsWith('#') || covered.has(i + 1)) return;
    // Only the part before "=" is shown: the rest may be a secret.
    const eq = t.search(/[=:]/);
    warnings.push({
      file,
      line: i + 1,
      message: `dotenv ignores this line (expected KEY=value)${eq > 0 ? `: ${JSON.stringify(t.slice(0, Math.min(eq, 40)))}...` : ''}`,
    });
  });
  return { entries, warnings };
}
