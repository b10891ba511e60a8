/** One SQL statement of a script, with where it starts in that script. */
export interface Statement {
  sql: string;
  /** Offset (UTF-16 index) of the statement's first character in the script. */
  offset: number;
}

/**
 * Splits a script at top-level semicolons, respecting quotes ('', "", E'' escapes), dollar
 * quotes ($$ and $tag$), line comments and nested block comments. Used only where statements
 * must run one at a time (`transaction:false`) or to locate a failing statement; otherwise
 * a whole file is sent to the server as one query.
 */
export function splitStatements(script: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  const push = (end: number) => {
    const raw = script.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const sql = raw.trim();
    if (sql && !isOnlyComments(sql)) out.push({ sql, offset: start + lead });
  };
  while (i < n) {
    const c = script[i]!;
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const nl = script.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') depth++;
        else if (script[i] === '*' && script[i + 1] === '/') depth--;
        else {
          i++;
          continue;
        }
        i += 2;
      }
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(script[i - 1]!) && !/[A-Za-z0-9_]/.test(script[i - 2] ?? ' ');
      i++;
      while (i < n) {
        if (escapes && script[i] === '\\') i += 2;
        else if (script[i] === "'" && script[i + 1] === "'") i += 2;
        else if (script[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      i++;
      while (i < n && !(script[i] === '"' && script[i + 1] !== '"')) i += script[i] === '"' ? 2 : 1;
      i++;
    } else if (c === '$' && !/[A-Za-z0-9_]/.test(script[i - 1] ?? ' ')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i, i + 64))?.[0];
      if (tag) {
        const end = script.indexOf(tag, i + tag.length);
        i = end === -1 ? n : end + tag.length;
      } else i++;
    } else if (c === ';') {
      push(i);
      start = i + 1;
      i++;
    } else i++;
  }
  push(n);
  return out;
}

/** BEGIN, COMMIT and their synonyms, as the first word of a top-level statement. */
export function isTransactionControl(statement: string): boolean {
  return transactionControl(statement) !== undefined;
}

/** The transaction-control keyword a statement starts with (`START TRANSACTION` is `START`), if any. */
export function transactionControl(statement: string): 'BEGIN' | 'START' | 'COMMIT' | 'END' | 'ROLLBACK' | 'ABORT' | undefined {
  const m = /^(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT)\b/i.exec(withoutLeadingComments(statement));
  return m ? (m[1]!.split(/\s/)[0]!.toUpperCase() as ReturnType<typeof transactionControl>) : undefined;
}

/** Statements Postgres refuses inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM...). */
export function cannotRunInTransaction(statement: string): boolean {
  return /^(CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY|REINDEX\b[^;]*\bCONCURRENTLY|VACUUM|(CREATE|DROP)\s+(DATABASE|TABLESPACE)|ALTER\s+SYSTEM)\b/i.test(
    withoutLeadingComments(statement),
  );
}

function withoutLeadingComments(statement: string): string {
  return statement.replace(/^(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)+/, '');
}

function isOnlyComments(sql: string): boolean {
  return (
    sql
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() === ''
  );
}

/** 1-based line and column of a UTF-16 offset in `text`; the column counts characters (code points), as the server does. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      column = 1;
    } else if (c < 0xdc00 || c > 0xdfff) column++; // the second half of a surrogate pair is the same character
  }
  return { line, column };
}

/** The UTF-16 index of the code point numbered `n` (0-based) in `text`: the server's positions count code points. */
export function utf16Index(text: string, n: number): number {
  let i = 0;
  for (let k = 0; k < n && i < text.length; k++) i += text.codePointAt(i)! > 0xffff ? 2 : 1;
  return i;
}
