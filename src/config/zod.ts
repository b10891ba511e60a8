// zod/mini: the same validation as zod's classic API, but tree-shaken to a fraction of its
// size; loading classic zod cost ~30 ms on every command that reads taskmaster.yml.
import * as z from 'zod/mini';

// The value types taskmaster.yml's schemas are made of, shared by the top-level schema
// (config/schema.ts) and each service kind's (catalog/): one message for each mistake.

/** Accepts 5432 or "5432" (interpolated values arrive as strings). */
export const port = preprocess(
  (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
  z
    .number({ error: (iss) => `expected a port number (1-65535), got ${describe(iss.input)}` })
    .check(
      z.int({ error: 'expected a whole port number (1-65535)' }),
      z.minimum(1, { error: 'expected a port number (1-65535)' }),
      z.maximum(65535, { error: 'expected a port number (1-65535)' }),
    ),
);

/** A whole number of at least `min` (interpolated values arrive as strings). */
export const count = (min: number, what: string) =>
  preprocess(
    (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` })
      .check(z.int({ error: `expected ${what}` }), z.minimum(min, { error: `expected ${what} (at least ${min})` })),
  );

export const text = (what = 'a string') =>
  preprocess(
    (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
    z.string({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` }),
  );

/** "500ms", "10s", "2m" (what parseDuration and compose's stop_grace_period both read). */
export const duration = text('a duration such as 10s').check(
  z.refine((v: string) => /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h)?\s*$/.test(v), { error: 'expected a duration such as 500ms, 10s or 2m' }),
);

export const identifier = z
  .string({ error: (iss) => `expected a name, got ${describe(iss.input)}` })
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected letters, digits, "-", "_" or "." (starting with a letter or digit)' }));

export const flag = z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` });

/** A command line (split as app commands are) or a list of arguments. */
export const command = z.union([text('a command line or a list of arguments'), z.array(text())]);

/** Variables by name, values as text. */
export const variables = z.record(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a variable name (A-Z, 0-9, _)' })), text());

/** An absolute path inside a container. */
export const containerPath = text('a path inside the container, such as /data').check(
  z.refine((v: string) => v.startsWith('/'), { error: 'expected an absolute path inside the container, such as /data' }),
);

/** zod's `preprocess`, which zod/mini spells as a transform piped into the schema. */
export function preprocess<T extends z.ZodMiniType>(fn: (v: unknown) => unknown, schema: T) {
  return z.pipe(z.transform(fn), schema);
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}
