import { describe, expect, it } from 'vitest';
import { serverOffset } from '../../src/db/sql-errors.js';
import { lineColumn, utf16Index } from '../../src/db/sql-split.js';

// The server reports an error position as a 1-based count of characters (code points) into
// the query it received; tm maps it back to file:line:column of the file the SQL came from.

describe('lineColumn', () => {
  it('counts lines from 1 and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 2)).toEqual({ line: 1, column: 3 });
    expect(lineColumn('ab\ncd', 3)).toEqual({ line: 2, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('counts a character outside the BMP as one column, as the server does', () => {
    // '😀' is two UTF-16 units: x sits at index 2, column 2.
    expect(lineColumn('😀x', 2)).toEqual({ line: 1, column: 2 });
    expect(lineColumn('😀x\ny', 4)).toEqual({ line: 2, column: 1 });
  });

  it('stops at the end of the text', () => {
    expect(lineColumn('a\nb', 99)).toEqual({ line: 2, column: 2 });
  });
});

describe('utf16Index', () => {
  it('turns a code point count into a string index', () => {
    expect(utf16Index('abc', 2)).toBe(2);
    expect(utf16Index('😀ab', 1)).toBe(2);
    expect(utf16Index('😀ab', 2)).toBe(3);
    expect(utf16Index('ab', 9)).toBe(2);
  });
});

describe('serverOffset', () => {
  // tm sends `BEGIN;\n<section>\n;\n<history row>;\nCOMMIT;`: only positions inside the section count.
  const query = 'BEGIN;\nSELECT nope;\n;\nINSERT INTO h VALUES (1);\nCOMMIT;';
  const prefix = 'BEGIN;\n'.length;
  const section = 'SELECT nope;'.length;

  it('maps the server position to an offset in the section', () => {
    const pos = query.indexOf('nope') + 1;
    expect(serverOffset({ position: String(pos) }, query, prefix, section)).toBe('SELECT '.length);
  });

  it('gives nothing for a position outside the section (tm wrote that part)', () => {
    expect(serverOffset({ position: '1' }, query, prefix, section)).toBeUndefined();
    expect(serverOffset({ position: String(query.indexOf('INSERT') + 1) }, query, prefix, section)).toBeUndefined();
  });

  it('gives nothing for an error without a position, or a nonsense one', () => {
    expect(serverOffset({}, query, prefix, section)).toBeUndefined();
    expect(serverOffset({ position: '0' }, query, prefix, section)).toBeUndefined();
    expect(serverOffset({ position: 'x' }, query, prefix, section)).toBeUndefined();
  });

  it('counts characters outside the BMP as the server does', () => {
    const q = "SELECT '😀', nope";
    const pos = [...q].indexOf('n') + 1; // code points, as the server counts
    const offset = serverOffset({ position: String(pos) }, q, 0, q.length)!;
    expect(q.slice(offset)).toBe('nope');
    expect(lineColumn(q, offset)).toEqual({ line: 1, column: pos });
  });
});
