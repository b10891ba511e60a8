// Variables in a compose file, by the Compose specification's rules: `$$` is a literal `$`;
// `$VAR` and `${VAR}` the value; `${VAR:-default}` (unset or empty) and `${VAR-default}` (unset);
// `${VAR:?error}` / `${VAR?error}` require it; `${VAR:+alt}` / `${VAR+alt}` replace a set one.
// Defaults may themselves hold references (`${A:-${B}}`).

export type Variables = Record<string, string | undefined>;

/** One piece of a compose string: text, or a reference. */
type Token = { text: string } | { name: string; op?: ':-' | '-' | ':?' | '?' | ':+' | '+'; arg?: string; braced: boolean };

export interface Interpolated {
  value: string;
  /** Variables that were not set and had no default (compose warns and uses ""). */
  missing: string[];
  /** `${VAR:?message}` that failed: compose refuses the file. */
  errors: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      plain += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      plain += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const close = matchingBrace(text, i + 2);
      const name = close === -1 ? undefined : NAME.exec(text.slice(i + 2, close))?.[0];
      if (close === -1 || !name) {
        plain += c;
        i++;
        continue;
      }
      const rest = text.slice(i + 2 + name.length, close);
      const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0] as Extract<Token, { name: string }>['op'];
      if (rest !== '' && !op) {
        plain += c;
        i++;
        continue;
      }
      if (plain) out.push({ text: plain });
      plain = '';
      out.push({ name, op, arg: op ? rest.slice(op.length) : undefined, braced: true });
      i = close + 1;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (!name) {
      plain += c;
      i++;
      continue;
    }
    if (plain) out.push({ text: plain });
    plain = '';
    out.push({ name, braced: false });
    i += 1 + name.length;
  }
  if (plain) out.push({ text: plain });
  return out;
}

/** The index of the `}` closing a `${` whose content starts at `from` (nested `${...}` skipped). */
function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** One compose string with its variables expanded. */
export function interpolate(text: string, vars: Variables): Interpolated {
  const missing: string[] = [];
  const errors: string[] = [];
  const inner = (t: string) => {
    const r = interpolate(t, vars);
    missing.push(...r.missing);
    errors.push(...r.errors);
    return r.value;
  };
  let value = '';
  for (const t of tokenize(text)) {
    if ('text' in t) {
      value += t.text;
      continue;
    }
    const v = vars[t.name];
    const empty = v === undefined || v === '';
    switch (t.op) {
      case ':-':
        value += empty ? inner(t.arg!) : v;
        break;
      case '-':
        value += v === undefined ? inner(t.arg!) : v;
        break;
      case ':?':
      case '?':
        if (t.op === ':?' ? empty : v === undefined) errors.push(`${t.name}: ${inner(t.arg!) || 'required variable is not set'}`);
        value += v ?? '';
        break;
      case ':+':
        value += empty ? '' : inner(t.arg!);
        break;
      case '+':
        value += v === undefined ? '' : inner(t.arg!);
        break;
      default:
        if (v === undefined) missing.push(t.name);
        value += v ?? '';
    }
  }
  return { value, missing, errors };
}

/** Every string of a parsed compose value expanded (keys stay as written, as in compose). */
export function interpolateDeep(value: unknown, vars: Variables, problems: { missing: string[]; errors: string[] } = { missing: [], errors: [] }): unknown {
  if (typeof value === 'string') {
    const r = interpolate(value, vars);
    problems.missing.push(...r.missing);
    problems.errors.push(...r.errors);
    return r.value;
  }
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, vars, problems));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, vars, problems)]));
  return value;
}

/** The variables a compose string refers to (in defaults too). */
export function referencedVariables(text: string): string[] {
  return tokenize(text).flatMap((t) => ('name' in t ? [t.name, ...(t.arg ? referencedVariables(t.arg) : [])] : []));
}

/**
 * The same string written for taskmaster.yml, whose interpolation knows `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}` and `$$`: a reference tm reads alike is kept (so
 * taskmaster.yml keeps reading `.env`), `$VAR` and `${VAR:?err}` become `${VAR}`, and one it
 * cannot carry (`:+`, a nested default) is replaced by its value now, `$` escaped.
 */
export function tmExpression(text: string, vars: Variables): string {
  let out = '';
  for (const t of tokenize(text)) {
    if ('text' in t) out += t.text.replaceAll('$', '$$$$');
    else if (!t.op || t.op === ':?' || t.op === '?') out += `\${${t.name}}`;
    else if ((t.op === ':-' || t.op === '-') && !/[$}]/.test(t.arg!)) out += `\${${t.name}${t.op}${t.arg}}`;
    else out += interpolate(`\${${t.name}${t.op}${t.arg}}`, vars).value.replaceAll('$', '$$$$');
  }
  return out;
}

/** Whether a compose string holds any reference (else it is a literal). */
export function hasReference(text: string): boolean {
  return tokenize(text).some((t) => 'name' in t);
}
