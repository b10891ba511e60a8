import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../src/env/parse.js';

// Each file is parsed by dotenv.parse itself and by parseEnvFile: the values must be identical.
const corpus: Record<string, string> = {
  quotes: `SINGLE='single # not a comment'\nDOUBLE="double\\nnewline"\nBACKTICK=\`back 'tick' "both"\`\nESCAPED="say \\"hi\\""\n`,
  multiline: `KEY="line one\nline two\nline three"\nAFTER=after\nSINGLE_MULTI='a\nb'\n`,
  export: `export A=1\nexport   B="two"\n  export C=3\n`,
  comments: `# full line\nA=1 # trailing\nB=2#glued\n   # indented comment\nC="3 # quoted"\n`,
  empty: `EMPTY=\nEMPTY_QUOTED=""\nSPACES=   \nNEXT=x\n`,
  colon: `A: colon value\nB:no-space\n`,
  crlf: `A=1\r\nB="x\r\ny"\r\nC=3\r\n`,
  duplicates: `A=first\nB=b\nA=second\n`,
  spacing: `  A = spaced value  \nB=  leading\nC=trailing   \n`,
  invalid: `just words\nMY KEY=1\n=novalue\nGOOD=yes\n1NUM=ok\n`,
  urls: `DATABASE_URL=postgres://u:p%40ss@localhost:5432/db?sslmode=disable\nREDIS_URL=redis://:pw@127.0.0.1:6379/0\n`,
  unicode: `NAME=Grüße 🚀\nQUOTED="ümlaut"\n`,
};

describe('parseEnvFile is dotenv.parse, plus lines', () => {
  for (const [name, text] of Object.entries(corpus)) {
    it(`${name}: same values as dotenv.parse`, () => {
      const ours = Object.fromEntries([...parseEnvFile(text, '.env').entries].map(([k, e]) => [k, e.value]));
      expect(ours).toEqual(parse(text));
    });
  }

  it('knows the line each key is on (the last one for duplicates)', () => {
    const { entries } = parseEnvFile(`# c\nA=1\n\nKEY="multi\nline"\nexport B=2\nA=again\n`, '.env');
    expect([...entries.values()].map((e) => [e.key, e.line])).toEqual([
      ['A', 7],
      ['KEY', 4],
      ['B', 6],
    ]);
  });

  it('warns about lines dotenv drops or misreads, with their line', () => {
    const { warnings } = parseEnvFile(`${corpus.invalid!}PASS=abc#def\nA=1\nA=2\n`, '.env');
    const byLine = warnings.map((w) => [w.line, w.message]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(byLine).toEqual([
      [1, expect.stringContaining('dotenv ignores this line')],
      [2, expect.stringContaining('dotenv ignores this line')],
      [3, expect.stringContaining('dotenv ignores this line')],
      [6, expect.stringContaining('"#" cuts the value short')],
      [8, expect.stringContaining('A is set again (line 7 is overridden)')],
    ]);
  });

  it('shows no value in a warning (it may be a secret)', () => {
    const { warnings } = parseEnvFile('MY PASSWORD=hunter2-secret\nDB_PASSWORD=hunter3#rest\nhunter4-bare-token\n', '.env');
    expect(warnings).toHaveLength(3);
    for (const leak of ['hunter2', 'hunter3', 'hunter4']) expect(JSON.stringify(warnings)).not.toContain(leak);
    expect(warnings[1]!.message).toContain('"MY PASSWORD"');
  });

  it('warns about a quote that is never closed', () => {
    const text = 'A="abc\nB=2\nC="multi\nline"\nD=\'ok\'\n';
    expect(parse(text).A).toBe('"abc'); // what dotenv does with it
    const { warnings } = parseEnvFile(text, '.env');
    expect(warnings.map((w) => [w.line, w.message])).toEqual([[1, expect.stringContaining('the opening " is never closed')]]);
  });

  it('does not warn about an ordinary trailing comment', () => {
    expect(parseEnvFile('A=1 # the answer\n', '.env').warnings).toEqual([]);
  });
});
