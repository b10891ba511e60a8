/** A `${VAR}` reference that had no value and no default. */
export interface Unresolved {
  variable: string;
  path: (string | number)[];
}

const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g;

/**
 * Expands `${VAR}`, `${VAR:-default}` (unset or empty) and `${VAR-default}` (unset) in every
 * string of a parsed YAML value, as Compose does; `$$` is a literal `$`. Unset variables with
 * no default become "" and are reported, so the caller can say which line needs them.
 */
export function interpolate(value: unknown, vars: Record<string, string | undefined>, unresolved: Unresolved[] = [], path: (string | number)[] = []): unknown {
  if (typeof value === 'string') return expand(value, vars, (variable) => unresolved.push({ variable, path }));
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, unresolved, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, vars, unresolved, [...path, k]);
    return out;
  }
  return value;
}

export function expand(text: string, vars: Record<string, string | undefined>, onMissing: (name: string) => void): string {
  return text.replace(REF, (whole, name: string | undefined, op: string | undefined, fallback: string | undefined) => {
    if (whole === '$$') return '$';
    const v = vars[name!];
    if (op === ':-') return v === undefined || v === '' ? fallback! : v;
    if (op === '-') return v === undefined ? fallback! : v;
    if (v === undefined) onMissing(name!);
    return v ?? '';
  });
}
