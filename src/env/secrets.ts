import type { EnvVarSpec } from '../config/schema.js';
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
