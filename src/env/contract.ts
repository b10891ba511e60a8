import * as z from 'zod/mini';
import type { EnvVarSpec } from '../config/schema.js';
import type { Problem } from '../errors.js';
import { maskUrlPasswords } from './mask.js';
import type { EnvState, ResolvedVar } from './resolve.js';
import { isSecret } from './secrets.js';

/** Secrets shorter than this (when `min` is not given) are refused. */
export const DEFAULT_SECRET_MIN = 16;

const PLACEHOLDERS = /^(changeme|change-me|change_me|secret|password|passwd|xxx+|todo|replace-?me|your[-_ ]?secret([-_ ]?here)?|example|test|dev|12345+)$/i;

const urlWith = (protocols: string[], label: string) =>
  refined(
    (v) => {
      try {
        const u = new URL(v);
        return protocols.includes(u.protocol) && u.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: `expected a ${label} URL with a host (${protocols.map((p) => `${p}//host`).join(' or ')}...)` },
  );

// Decimal only: Number() would also take 0x10, 0b1, '  12 ' and Infinity.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const atLeast = (schema: z.ZodMiniType<string>, min: number | undefined) =>
  min === undefined ? schema : schema.check(z.refine((v: string) => Number(v) >= min, { error: `expected at least ${min}` }));
/** A string that passes `ok`, else has `error` as its problem. */
function refined(ok: (v: string) => boolean, params: { error: string }): z.ZodMiniType<string> {
  return z.string().check(z.refine(ok, params));
}
const matching = (re: RegExp, error: string) => z.string().check(z.regex(re, { error }));

/** The zod schema of one variable, compiled from its spec. */
export function compileVar(spec: EnvVarSpec): z.ZodMiniType<string> {
  const type = spec.type ?? (spec.values || spec.enum ? 'enum' : 'string');
  const min = spec.min;
  switch (type) {
    case 'string':
      return min ? z.string().check(z.minLength(min, { error: `expected at least ${min} characters` })) : z.string();
    case 'url':
      return refined((v) => URL.canParse(v), { error: 'expected a URL such as https://example.com' });
    case 'postgres-url':
      return urlWith(['postgres:', 'postgresql:'], 'PostgreSQL');
    case 'redis-url':
      return urlWith(['redis:', 'rediss:'], 'Redis');
    case 'port':
      return matching(/^\d+$/, 'expected a port number').check(
        z.refine((v: string) => Number(v) >= 1 && Number(v) <= 65535, { error: 'expected a port number 1-65535' }),
      );
    case 'int':
      return atLeast(matching(/^[+-]?\d+$/, 'expected a whole number'), min);
    case 'number':
      return atLeast(matching(DECIMAL, 'expected a decimal number'), min);
    case 'bool':
      return matching(/^(true|false|1|0|yes|no|on|off)$/i, 'expected true or false');
    case 'enum': {
      const values = spec.values ?? spec.enum ?? [];
      return refined((v) => values.includes(v), { error: `expected one of ${values.join(', ')}` });
    }
    case 'email':
      return matching(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'expected an email address');
    case 'duration':
      return matching(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'expected a duration such as 500ms, 30s, 5m, 1h');
    case 'json':
      return refined(
        (v) => {
          try {
            JSON.parse(v);
            return true;
          } catch {
            return false;
          }
        },
        { error: 'expected valid JSON' },
      );
    case 'secret': {
      const n = min ?? DEFAULT_SECRET_MIN;
      return z.string().check(
        z.minLength(n, { error: `expected a secret of at least ${n} characters` }),
        z.refine((v: string) => !PLACEHOLDERS.test(v.trim()), { error: 'is a placeholder, not a secret' }),
      );
    }
  }
}

/** Where each variable is declared in taskmaster.yml, for problems that have no value to point at. */
export type Declarations = Map<string, Pick<Problem, 'file' | 'line' | 'column'>>;

/** Every problem of the resolved environment at once, each with where the value came from and the fix. */
export function checkEnv(contract: Record<string, EnvVarSpec>, state: EnvState, declared?: Declarations): Problem[] {
  const problems: Problem[] = [...state.warnings];
  for (const [key, spec] of Object.entries(contract)) {
    const v = state.vars.get(key) ?? { key, source: 'unset' as const };
    if (v.value === undefined || (v.value === '' && spec.required)) {
      if (!spec.required) continue;
      const at = v.value === undefined ? (declared?.get(key) ?? where(v)) : where(v);
      problems.push({
        ...at,
        path: key,
        message: `is required but ${v.value === '' ? 'empty' : 'not set'}; ${fixFor(key, spec, v, v.value === undefined ? 'missing' : 'invalid')}`,
      });
      continue;
    }
    if (v.value === '' && !spec.required) continue;
    const r = compileVar(spec).safeParse(v.value);
    if (!r.success) {
      // The value is shown only when it cannot be a secret, and never with a URL password.
      const shown = isSecret(key, spec) ? '' : `, got ${JSON.stringify(maskUrlPasswords(v.value).slice(0, 60))}`;
      problems.push({ ...where(v), path: key, message: `${r.error.issues[0]!.message}${shown}; ${fixFor(key, spec, v, 'invalid')}` });
    }
  }
  return problems;
}

function where(v: ResolvedVar): Pick<Problem, 'file' | 'line'> {
  if (v.source === 'file') return { file: v.file, line: v.line };
  if (v.source === 'environment') return { file: '(environment)' };
  return { file: '.env' };
}

function fixFor(key: string, spec: EnvVarSpec, v: ResolvedVar, why: 'missing' | 'invalid'): string {
  if (v.source === 'environment') return `fix: change ${key} in the environment of this process (it overrides .env)`;
  if (spec.type === 'secret' && spec.generate) {
    return why === 'missing' ? `fix: tm env init --merge generates one` : `fix: tm env init --force generates a new one (keeping a backup of .env)`;
  }
  const file = v.source === 'file' && v.file ? v.file : '.env';
  if (spec.example) return `fix: set e.g. ${key}=${spec.example} in ${file}`;
  return `fix: set ${key} in ${file}${spec.description ? ` (${spec.description})` : ''}`;
}
