import { describe, expect, it } from 'vitest';
import type { EnvVarSpec } from '../../src/config/schema.js';
import { checkEnv, compileVar } from '../../src/env/contract.js';
import { quote, generateSecret } from '../../src/env/init.js';
import { parse } from 'dotenv';
import type { EnvState } from '../../src/env/resolve.js';

const spec = (s: Partial<EnvVarSpec>): EnvVarSpec => ({ required: false, generate: false, ...s }) as EnvVarSpec;
const ok = (s: Partial<EnvVarSpec>, v: string) => compileVar(spec(s)).safeParse(v).success;

describe('types of the contract', () => {
  const cases: [Partial<EnvVarSpec>, string[], string[]][] = [
    [{ type: 'string', min: 3 }, ['abc'], ['ab']],
    [{ type: 'url' }, ['https://x.dev/a', 'http://localhost:3000'], ['not a url', 'x.dev']],
    [{ type: 'postgres-url' }, ['postgres://u:p@h:5432/d', 'postgresql://h/d'], ['mysql://h/d', 'postgres']],
    [{ type: 'redis-url' }, ['redis://localhost:6379', 'rediss://h:1/0'], ['http://h']],
    [{ type: 'port' }, ['1', '65535'], ['0', '65536', 'http', '-1']],
    [{ type: 'int' }, ['-3', '42'], ['4.2', 'x']],
    [{ type: 'number' }, ['4.2', '-1e3'], ['', 'NaN', 'x']],
    [{ type: 'bool' }, ['true', 'FALSE', '1', 'no', 'on'], ['maybe', '2']],
    [{ type: 'enum', values: ['a', 'b'] }, ['a'], ['c', 'A']],
    [{ enum: ['x'] }, ['x'], ['y']],
    [{ type: 'email' }, ['a@b.co'], ['a@b', 'ab.co']],
    [{ type: 'duration' }, ['500ms', '30s', '5m', '1h', '2d'], ['30', 'soon']],
    [{ type: 'json' }, ['{"a":1}', '[1]', '"s"'], ['{a:1}']],
    [{ type: 'secret' }, ['k8Ju2nP0qLx7Vb3a'], ['short', 'changeme', 'xxxxxxxxxxxxxxxxxxxx'.slice(0, 3)]],
    [{ type: 'secret', min: 32 }, ['a'.repeat(31) + 'b'], ['a'.repeat(31)]],
  ];
  for (const [s, good, bad] of cases) {
    it(`${s.type ?? 'enum shorthand'}${s.min ? ` (min ${s.min})` : ''}`, () => {
      for (const v of good) expect(ok(s, v), v).toBe(true);
      for (const v of bad) expect(ok(s, v), v).toBe(false);
    });
  }
});

describe('checkEnv', () => {
  const state = (vars: Record<string, { value?: string; line?: number }>): EnvState => ({
    vars: new Map(Object.entries(vars).map(([key, v]) => [key, { key, value: v.value, source: v.value === undefined ? 'unset' : 'file', file: '.env', line: v.line }])),
    warnings: [],
    files: ['.env'],
  });

  it('reports every problem at once, each with its file and line, without printing secrets', () => {
    const contract = {
      DATABASE_URL: spec({ type: 'postgres-url', required: true }),
      PORT: spec({ type: 'port' }),
      SESSION_SECRET: spec({ type: 'secret', generate: true }),
      OPTIONAL: spec({ type: 'int' }),
    };
    const problems = checkEnv(contract, state({ PORT: { value: 'http', line: 2 }, SESSION_SECRET: { value: 'hunter2', line: 3 }, OPTIONAL: {} }));
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['DATABASE_URL', undefined],
      ['PORT', 2],
      ['SESSION_SECRET', 3],
    ]);
    expect(problems[0]!.message).toContain('is required but not set');
    expect(problems[1]!.message).toContain('expected a port number, got "http"');
    expect(problems[2]!.message).toContain('tm env init --force generates one');
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });
});

describe('writing values back', () => {
  it('quotes values so that dotenv reads them back unchanged', () => {
    for (const v of ['plain', 'with space', "it's", 'a#b', 'say "hi"', 'multi\nline', '', 'postgres://u:p@h/d', 'back`tick']) {
      expect(parse(`K=${quote(v)}\n`).K, v).toBe(v);
    }
  });

  it('generates URL-safe secrets of the requested length, different every time', () => {
    const a = generateSecret(40);
    expect(a).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(generateSecret(40)).not.toBe(a);
  });
});
