import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, TmError } from '../../src/errors.js';

const SRC = resolve(import.meta.dirname, '../../src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

/** Each `new TmError('CODE', ...)` in the sources with the exit code it is given (the first `exit:` of its call). */
function thrown(): { code: string; exit: string; at: string }[] {
  const out: { code: string; exit: string; at: string }[] = [];
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    const calls = text.split(/new TmError\(/).slice(1);
    for (const call of calls) {
      const code = /^\s*'([A-Z0-9_]+)'/.exec(call)?.[1];
      // The options of this call end at its closing parenthesis; a nested call has none of its own.
      const exit = /exit: EXIT\.(\w+)/.exec(call.slice(0, 600))?.[1];
      if (code && exit) out.push({ code, exit, at: file.slice(SRC.length + 1) });
    }
  }
  return out;
}

describe('exit codes', () => {
  it('one failure, one exit code: every place that throws a code gives it the same exit', () => {
    const byCode = new Map<string, Set<string>>();
    for (const t of thrown()) byCode.set(t.code, (byCode.get(t.code) ?? new Set()).add(`${t.exit} (${t.at})`));
    const mixed = [...byCode]
      .filter(([, exits]) => new Set([...exits].map((e) => e.split(' ')[0])).size > 1)
      .map(([code, exits]) => `${code}: ${[...exits].join(', ')}`);
    expect(mixed).toEqual([]);
  });

  it('a service that exited and a refused login have their codes whatever a caller passes', () => {
    expect(new TmError('TM_SERVICE_EXITED', 'redis exited', { exit: EXIT.runtime }).exit).toBe(EXIT.timeout);
    expect(new TmError('TM_DB_LOGIN_REFUSED', 'refused', { exit: EXIT.runtime }).exit).toBe(EXIT.config);
  });
});
