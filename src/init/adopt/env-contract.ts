import type { EnvVarSpec } from '../../config/schema.js';
import { compileVar } from '../../env/contract.js';
import { isSecret } from '../../env/secrets.js';
import type { Finding } from './report.js';

// `.env.example` (else `.env`) as the env contract: each variable's type inferred from its
// value and name, `required` where the example gives no value, and every inferred type
// checked against the values the project has, so the existing `.env` stays valid.

/** What a variable of the contract is written as in taskmaster.yml. */
export type ContractEntry = Pick<EnvVarSpec, 'type' | 'default' | 'values' | 'description'> & { required?: boolean; generate?: boolean };

type EnvType = NonNullable<EnvVarSpec['type']>;

/** URL schemes and the type of variable they mean. */
const SCHEMES: Record<string, EnvType> = {
  'postgres:': 'postgres-url',
  'postgresql:': 'postgres-url',
  'redis:': 'redis-url',
  'rediss:': 'redis-url',
};

/**
 * A variable's type from its name and value: secrets by name (`*_SECRET`, `*_PASSWORD`,
 * `*_TOKEN`, `*_KEY`...), URLs by scheme, ports by name, then booleans, numbers, emails,
 * durations and JSON by value; else string.
 */
export function inferType(key: string, value: string): EnvType {
  if (isSecretName(key)) return 'secret';
  const v = value.trim();
  if (v === '') return typeByName(key);
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(v)?.[1]?.toLowerCase();
  if (scheme) return SCHEMES[scheme] ?? 'url';
  if (/(^|_)PORT$/i.test(key) && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535) return 'port';
  if (/^(true|false)$/i.test(v)) return 'bool';
  if (/^[+-]?\d+$/.test(v)) return 'int';
  if (/^[+-]?(\d+\.\d*|\.\d+)$/.test(v)) return 'number';
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return 'email';
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(v)) return 'duration';
  if (/^[[{]/.test(v)) {
    try {
      JSON.parse(v);
      return 'json';
    } catch {
      // not JSON
    }
  }
  return 'string';
}

/** A type from the name alone, for a variable the project gives no value. */
function typeByName(key: string): EnvType {
  if (/^(DATABASE|POSTGRES|POSTGRESQL|PG|DIRECT)_URL$/i.test(key)) return 'postgres-url';
  if (/^REDIS_URL$/i.test(key)) return 'redis-url';
  if (/(^|_)(URL|URI)$/i.test(key)) return 'url';
  if (/(^|_)PORT$/i.test(key)) return 'port';
  if (/(^|_)EMAIL$/i.test(key)) return 'email';
  return 'string';
}

/** A secret by its name: tm's masking rule, and keys (`*_KEY`) that are not public ones. */
export function isSecretName(key: string): boolean {
  return isSecret(key) || (/(^|_)KEY$/i.test(key) && !/PUBLIC/i.test(key));
}

/** Secrets the app chooses itself (a session or signing secret), which tm env init may generate; not an API's. */
function generatable(key: string): boolean {
  return /(^|_)SECRET$/i.test(key) && !/(CLIENT|API|STRIPE|AWS|ACCESS)/i.test(key);
}

export interface ContractInputs {
  /** `.env.example`'s variables, if it exists. */
  example?: Record<string, string>;
  /** `.env`'s variables, if it exists. */
  env?: Record<string, string>;
  /** Variables a service reads a password or token from: secrets whatever their names. */
  secrets?: Set<string>;
}

/**
 * The env contract: the example's variables (else `.env`'s). A value in the example is the
 * variable's default (not a secret's); an empty one makes it required (a secret the app
 * chooses is generated instead). A type the project's own values do not pass is widened to
 * string, so `tm env check` accepts the `.env` the project already has.
 */
export function inferContract(inputs: ContractInputs): { contract: Record<string, ContractEntry>; findings: Finding[] } {
  const source = inputs.example ? '.env.example' : '.env';
  const vars = inputs.example ?? inputs.env ?? {};
  const contract: Record<string, ContractEntry> = {};
  const findings: Finding[] = [];
  for (const [key, value] of Object.entries(vars)) {
    const fromEnv = inputs.example ? inputs.env?.[key] : value;
    // The type comes from the example's value, else from the one .env has.
    const type = inputs.secrets?.has(key) ? 'secret' : inferType(key, value || fromEnv || '');
    const entry: ContractEntry = { type };
    const secret = type === 'secret' || isSecret(key) || Boolean(inputs.secrets?.has(key));
    if (value === '' || secret) {
      if (type === 'secret' && generatable(key)) entry.generate = true;
      else if (value === '') entry.required = true;
    } else if (inputs.example && !value.includes('$')) entry.default = value;
    else if (inputs.example) entry.required = true;
    // The values the project has: .env's, and the default now written (an example's placeholder secret is neither).
    const widened = widen(entry, [fromEnv, entry.default]);
    contract[key] = entry;
    const facts = [
      entry.type ?? 'string',
      entry.required ? 'required' : 'optional',
      entry.generate ? 'generated' : '',
      entry.default !== undefined ? 'with a default' : '',
    ]
      .filter(Boolean)
      .join(', ');
    findings.push({ from: `${source} ${key}`, to: `env.${key}`, status: widened ? 'note' : 'mapped', detail: widened ?? facts });
  }
  if (inputs.example && inputs.env) {
    const extra = Object.keys(inputs.env).filter((k) => !(k in vars));
    if (extra.length)
      findings.push({
        from: `.env ${extra.join(', ')}`,
        status: 'unmapped',
        detail: 'only in .env, not in .env.example: not part of the contract (tm env diff lists them)',
      });
  }
  return { contract, findings };
}

/**
 * Makes `entry` accept every value the project has (never printing one): a secret that is a
 * placeholder or short becomes a string (still masked by its name), another type a string.
 * Returns why, when it widened.
 */
function widen(entry: ContractEntry, values: (string | undefined)[]): string | undefined {
  for (const value of values) {
    if (value === undefined || value === '' || entry.type === 'string') continue;
    const spec = { ...entry, required: entry.required ?? false, generate: entry.generate ?? false } as EnvVarSpec;
    if (compileVar(spec).safeParse(value).success) continue;
    const was = entry.type;
    entry.type = 'string';
    delete entry.generate;
    if (was === 'secret') {
      delete entry.default;
      return `string (masked by its name): a value the project has is too short or a placeholder for type secret (16 characters at least)`;
    }
    return `string: a value the project has is not a valid ${was}`;
  }
  return undefined;
}
