import { describe, expect, it } from 'vitest';
import { isTransactionControl, splitStatements } from '../../src/db/sql-split.js';

const sqls = (script: string) => splitStatements(script).map((s) => s.sql);

describe('splitStatements', () => {
  it('splits at top-level semicolons and gives where each statement starts', () => {
    expect(splitStatements('SELECT 1;\n  SELECT 2;')).toEqual([
      { sql: 'SELECT 1', offset: 0 },
      { sql: 'SELECT 2', offset: 12 },
    ]);
  });

  it('keeps semicolons inside quotes, quoted identifiers and escape strings', () => {
    expect(sqls(`SELECT 'a;b'; SELECT 'it''s;'`)).toEqual([`SELECT 'a;b'`, `SELECT 'it''s;'`]);
    expect(sqls(`SELECT E'\\';x'; SELECT 2`)).toEqual([`SELECT E'\\';x'`, 'SELECT 2']);
    expect(sqls(`SELECT "a;""b" FROM t; SELECT 3`)).toEqual([`SELECT "a;""b" FROM t`, 'SELECT 3']);
    // A backslash ends nothing in a standard string: the quote after it closes the string.
    expect(sqls(`SELECT 'a\\'; SELECT 4`)).toEqual([`SELECT 'a\\'`, 'SELECT 4']);
  });

  it('keeps function bodies in dollar quotes whole, tagged or not', () => {
    expect(sqls('CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 4')).toEqual([
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
      'SELECT 4',
    ]);
    expect(sqls('DO $body$ BEGIN PERFORM 1; $$ not the end; END $body$; SELECT 5')).toEqual([
      'DO $body$ BEGIN PERFORM 1; $$ not the end; END $body$',
      'SELECT 5',
    ]);
    // `$1` after an identifier character is part of the name, not a quote.
    expect(sqls('SELECT a$1; SELECT 8')).toEqual(['SELECT a$1', 'SELECT 8']);
  });

  it('skips semicolons in line comments and nested block comments', () => {
    expect(sqls('SELECT 1 -- c;\n; /* a /* b; */ c; */ SELECT 6')).toEqual(['SELECT 1 -- c;', '/* a /* b; */ c; */ SELECT 6']);
  });

  it('drops empty statements and statements that are only comments', () => {
    const script = '  -- only a comment\n;\n  SELECT 7  ;;\n/* trailing */';
    expect(splitStatements(script)).toEqual([{ sql: 'SELECT 7', offset: script.indexOf('SELECT 7') }]);
    expect(splitStatements('')).toEqual([]);
  });

  it('runs to the end of the script when a quote is never closed', () => {
    expect(sqls("SELECT 'open; SELECT 2")).toEqual(["SELECT 'open; SELECT 2"]);
    expect(sqls('SELECT $$ open; SELECT 2')).toEqual(['SELECT $$ open; SELECT 2']);
  });
});

describe('isTransactionControl', () => {
  it('knows BEGIN, COMMIT and their synonyms as the first word, after comments', () => {
    for (const s of ['BEGIN', 'begin work', 'START  TRANSACTION', 'COMMIT', 'END', 'ROLLBACK', 'abort', '-- note\nBEGIN', '/* x */ commit']) {
      expect(isTransactionControl(s), s).toBe(true);
    }
  });

  it('does not take words that only start like them', () => {
    for (const s of ['ENDPOINT', 'SELECT 1', 'BEGINNING', 'CREATE TABLE commit_log (id int)', "SELECT 'BEGIN'"]) {
      expect(isTransactionControl(s), s).toBe(false);
    }
  });
});
