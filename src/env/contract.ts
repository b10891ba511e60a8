import { z } from 'zod';
import type { EnvVarSpec } from '../config/schema.js';
import type { Problem } from '../errors.js';
import type { EnvState, ResolvedVar } from './resolve.js';

/** Secrets shorter than this (when `min` is not given) are refused. */
export const DEFAULT_SECRET_MIN = 16;

const PLACEHOLDERS = /^(changeme|change-me|change_me|secret|password|passwd|xxx+|todo|replace-?me|your[-_ ]?secret([-_ ]?here)?|example|test|dev|12345+)$/i;

const urlWith = (protocols: string[], label: string) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { error: `expected a ${label} URL (${protocols.map((p) => `${p}//`).join(' or ')}...)` },
  );

/** The zod schema of one variable, compiled from its spec. */
export function compileVar(spec: EnvVarSpec): z.ZodType<string> {
  const type = spec.type ?? (spec.values || spec.enum ? 'enum' : 'string');
  const min = spec.min;
  switch (type) {
    case 'string':
      return min ? z.string().min(min, { error: `expected at least ${min} characters` }) : z.string();
    case 'url':
      return z.string().refine((v) => URL.canParse(v), { error: 'expected a URL such as https://example.com' });
    case 'postgres-url':
      return urlWith(['postgres:', 'postgresql:'], 'PostgreSQL');
    case 'redis-url':
      return urlWith(['redis:', 'rediss:'], 'Redis');
    case 'port':
      return z.string().regex(/^\d+$/, { error: 'expected a port number' }).refine((v) => Number(v) >= 1 && Number(v) <= 65535, { error: 'expected a port number 1-65535' });
    case 'int':
      return z.string().regex(/^-?\d+$/, { error: 'expected a whole number' });
    case 'number':
      return z.string().refine((v) => v.trim() !== '' && Number.isFinite(Number(v)), { error: 'expected a number' });
    case 'bool':
      return z.string().regex(/^(true|false|1|0|yes|no|on|off)$/i, { error: 'expected true or false' });
    case 'enum': {
      const values = spec.values ?? spec.enum ?? [];
      return z.string().refine((v) => values.includes(v), { error: `expected one of ${values.join(', ')}` });
    }
    case 'email':
      return z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: 'expected an email address' });
    case 'duration':
      return z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, { error: 'expected a duration such as 500ms, 30s, 5m, 1h' });
    case 'json':
      return z.string().refine(
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
      return z
        .string()
        .min(n, { error: `expected a secret of at least ${n} characters` })
        .refine((v) => !PLACEHOLDERS.test(v.trim()), { error: 'is a placeholder, not a secret' });
    }
  }
}

/** Every problem of the resolved environment at once, each with where the value came from and the fix. */
export function checkEnv(contract: Record<string, EnvVarSpec>, state: EnvState): Problem[] {
  const problems: Problem[] = [...state.warnings];
  for (const [key, spec] of Object.entries(contract)) {
    const v = state.vars.get(key) ?? { key, source: 'unset' as const };
    if (v.value === undefined || (v.value === '' && spec.required)) {
      if (!spec.required) continue;
      problems.push({ ...where(v), path: key, message: `is required but ${v.value === '' ? 'empty' : 'not set'}; ${fixFor(key, spec)}` });
      continue;
    }
    if (v.value === '' && !spec.required) continue;
    const r = compileVar(spec).safeParse(v.value);
    if (!r.success) {
      const secret = spec.type === 'secret';
      problems.push({ ...where(v), path: key, message: `${r.error.issues[0]!.message}${secret ? '' : `, got ${JSON.stringify(v.value.slice(0, 60))}`}; ${fixFor(key, spec)}` });
    }
  }
  return problems;
}

function where(v: ResolvedVar): Pick<Problem, 'file' | 'line'> {
  if (v.source === 'file') return { file: v.file, line: v.line };
  if (v.source === 'environment') return { file: '(environment)' };
  return { file: '.env' };
}

function fixFor(key: string, spec: EnvVarSpec): string {
  if (spec.type === 'secret' && spec.generate) return `fix: tm env init --force generates one (or set ${key} in .env)`;
  if (spec.example) return `fix: set e.g. ${key}=${spec.example} in .env`;
  return `fix: set ${key} in .env${spec.description ? ` (${spec.description})` : ''}`;
}

/** Values that must never be printed: secret-typed values and passwords inside URLs. */
export function secretValues(contract: Record<string, EnvVarSpec>, state: EnvState): string[] {
  const out: string[] = [];
  for (const v of state.vars.values()) {
    if (!v.value) continue;
    if (contract[v.key]?.type === 'secret' || /(SECRET|PASSWORD|TOKEN|PRIVATE_KEY|API_KEY)/i.test(v.key)) out.push(v.value);
    try {
      const pw = new URL(v.value).password;
      if (pw) out.push(decodeURIComponent(pw), pw);
    } catch {
      // not a URL
    }
  }
  return out;
}
