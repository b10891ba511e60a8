import { kindOf } from '../catalog/index.js';
import type { EnvVarSpec, Service } from '../config/schema.js';
import type { Problem } from '../errors.js';
import { isMaskable, SHORT_SECRET } from './mask.js';
import type { EnvState } from './resolve.js';

// Which values are secrets, apart from the contract's validation (zod), so that every
// command can register them for masking without loading the validator.

/** Names that hold secrets whatever their type: their values are never printed. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL)/i;

/** The one rule for "never print this value": `type: secret`, or a secret-like name. */
export function isSecret(key: string, spec?: EnvVarSpec): boolean {
  return spec?.type === 'secret' || SECRET_NAME.test(key);
}

/** Values that must never be printed: secret-typed values and passwords inside URLs. */
export function secretValues(contract: Record<string, EnvVarSpec>, state: EnvState): string[] {
  const out: string[] = [];
  for (const v of state.vars.values()) {
    if (!v.value) continue;
    if (isSecret(v.key, contract[v.key])) out.push(v.value);
    try {
      const pw = new URL(v.value).password;
      if (pw) out.push(decodeURIComponent(pw), pw);
    } catch {
      // not a URL
    }
  }
  return out;
}

/**
 * Secrets short enough that masking them garbles other output (and weak anyway): a warning
 * for each, naming where it is set. They are masked all the same.
 */
export function shortSecrets(services: Service[], contract: Record<string, EnvVarSpec>, state: EnvState): Problem[] {
  const short = (v: string | undefined): v is string => isMaskable(v) && v.length < SHORT_SECRET;
  const why = (n: number) =>
    `is only ${n} character${n === 1 ? '' : 's'}: it is masked wherever it appears in output, ` +
    `which garbles text that happens to contain it; use a longer one (16+ random characters)`;
  const out: Problem[] = [];
  for (const svc of services) {
    const values = svc as unknown as Record<string, unknown>;
    for (const field of kindOf(svc).secrets) {
      const value = values[field];
      if (typeof value === 'string' && short(value)) out.push({ path: `services.${svc.name}.${field}`, message: why(value.length) });
    }
  }
  for (const v of state.vars.values()) {
    if (isSecret(v.key, contract[v.key]) && short(v.value)) out.push({ file: v.file, line: v.line, path: v.key, message: why(v.value.length) });
  }
  return out;
}
