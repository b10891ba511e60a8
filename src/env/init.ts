import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadConfig, type Config } from '../config/load.js';
import type { EnvVarSpec } from '../config/schema.js';
import { EXIT, TmError, type Problem } from '../errors.js';
import { exportedVariables, serviceUrl } from '../config/services.js';
import { withServiceCredentials } from './agreement.js';
import { compileVar, DEFAULT_SECRET_MIN } from './contract.js';
import { parseEnvFile, type EnvEntry } from './parse.js';
import { backupFile, writeSecretFile } from './write.js';

export interface InitResult {
  file: string;
  action: 'created' | 'merged' | 'rewritten' | 'unchanged';
  /** Keys written, with where their value came from (values are never returned). */
  written: { key: string; from: 'existing' | 'default' | 'devDefault' | 'generated' | 'service' | 'example' | 'empty' }[];
  backup?: string;
  /** Keys that could not be resolved and were written empty; what a rewrite did not carry over. */
  warnings: Problem[];
  /** The permission bits of `.env` afterwards (0600 whenever tm wrote it). */
  mode: number;
}

export interface InitOptions {
  merge?: boolean;
  force?: boolean;
}

const HEADER = '# Written by tm env init from taskmaster.yml';

/**
 * Creates `.env` from the contract and `.env.example`: defaults, URLs of the project's own
 * services, generated secrets (crypto.randomBytes). An existing `.env` is left alone unless
 * `merge` (append missing keys; existing bytes untouched) or `force` (rewrite after a backup:
 * existing values are kept, except generated secrets that fail the contract, which are
 * generated anew; keys outside the contract and `.env.example` are kept at the end).
 */
export async function initEnv(config: Config, opts: InitOptions = {}): Promise<InitResult> {
  const file = join(config.root, '.env');
  const existingText = await readFile(file, 'utf8').catch(() => undefined);
  if (existingText !== undefined && !opts.merge && !opts.force) {
    throw new TmError('TM_ENV_EXISTS', '.env already exists; nothing was changed', {
      exit: EXIT.usage,
      hint: 'tm env init --merge appends missing keys; --force rewrites it (keeping a backup)',
    });
  }
  const exampleText = await readFile(join(config.root, '.env.example'), 'utf8').catch(() => '');
  const example = parseEnvFile(exampleText, '.env.example').entries;
  const existing = existingText !== undefined ? parseEnvFile(existingText, '.env').entries : new Map<string, EnvEntry>();
  const merge = opts.merge && !opts.force;

  const keys = [...new Set([...Object.keys(config.env), ...example.keys()])];
  // With --force an existing value stays unless it is a generated secret the contract refuses.
  const kept = (key: string): string | undefined => {
    const value = opts.force ? existing.get(key)?.value : undefined;
    const spec = config.env[key];
    if (value === undefined || !(spec?.type === 'secret' && spec.generate)) return value;
    return compileVar(spec).safeParse(value).success ? value : undefined;
  };
  // Service URLs must carry values generated here (a password `${POSTGRES_PASSWORD}`), so the
  // config is read again with them before deriving URLs.
  const fresh: Record<string, string> = {};
  for (const key of keys) {
    const spec = config.env[key];
    if (merge && existing.has(key)) continue;
    if (spec?.type === 'secret' && spec.generate && kept(key) === undefined) fresh[key] = generateSecret(spec.min ?? 32);
  }
  const model = Object.keys(fresh).length > 0 ? await loadConfig({ configPath: config.file, env: { ...process.env, ...fresh } }) : config;
  const written: InitResult['written'] = [];
  const warnings: Problem[] = [];
  const lines: string[] = [];
  for (const key of keys) {
    if (merge && existing.has(key)) continue;
    const spec = config.env[key];
    const keep = kept(key);
    // A kept URL of the project's own service takes the service's credentials (a password generated anew).
    const agreed = keep !== undefined && (spec?.type === 'postgres-url' || spec?.type === 'redis-url') ? withServiceCredentials(model, keep) : undefined;
    const [value, from]: [string, From] =
      agreed !== undefined
        ? [agreed, 'service']
        : keep !== undefined
          ? [keep, 'existing']
          : fresh[key] !== undefined
            ? [fresh[key], 'generated']
            : valueFor(model, key, spec, example.get(key)?.value);
    if (from === 'empty') warnings.push({ file: '.env', path: key, message: 'no default, example or generator: written empty; set it by hand' });
    if (spec?.description) lines.push(`# ${spec.description.replace(/\n/g, ' ')}`);
    lines.push(`${key}=${quote(value)}`);
    written.push({ key, from });
  }

  if (existingText !== undefined && merge) {
    if (lines.length === 0) return { file, action: 'unchanged', written, warnings, mode: (await stat(file)).mode & 0o777 };
    const sep = existingText === '' || existingText.endsWith('\n') ? '' : '\n';
    await writeSecretFile(file, `${existingText}${sep}${lines.join('\n')}\n`);
    return { file, action: 'merged', written, warnings, mode: 0o600 };
  }
  const extra = [...existing.values()].filter((e) => !keys.includes(e.key));
  if (extra.length > 0) {
    lines.push('', '# Not in the contract or .env.example: kept from the previous .env');
    for (const e of extra) {
      lines.push(`${e.key}=${quote(e.value)}`);
      written.push({ key: e.key, from: 'existing' });
    }
  }
  const text = `${HEADER}${exampleText ? ' and .env.example' : ''}. Keep it out of git.\n${lines.join('\n')}\n`;
  const backup = existingText !== undefined ? await backupFile(file) : undefined;
  if (backup && existingText !== undefined) {
    const dropped = existingText.split(/\r?\n/).filter((l) => /^\s*#/.test(l) && !l.startsWith(HEADER) && !lines.includes(l.trim()));
    if (dropped.length > 0)
      warnings.push({
        file: '.env',
        message: `${dropped.length} comment line${dropped.length === 1 ? ' was' : 's were'} not carried over; they are in ${basename(backup)}`,
      });
  }
  await writeSecretFile(file, text);
  return { file, action: backup ? 'rewritten' : 'created', written, backup, warnings, mode: 0o600 };
}

type From = InitResult['written'][number]['from'];

function valueFor(config: Config, key: string, spec: EnvVarSpec | undefined, exampleValue: string | undefined): [string, From] {
  if (spec?.default !== undefined) return [spec.default, 'default'];
  if (spec?.devDefault !== undefined) return [spec.devDefault, 'devDefault'];
  // A variable the project's services give (AMQP_URL), else a URL of the type's kind.
  const exported = exportedVariables(config.services, true).get(key);
  if (exported) return [exported.value, 'service'];
  const kind = spec?.type === 'postgres-url' ? 'postgres' : spec?.type === 'redis-url' ? 'redis' : undefined;
  const svc = kind && config.services.find((s) => s.kind === kind);
  if (svc) return [serviceUrl(svc, true)!, 'service'];
  if (spec?.type !== 'secret' && (exampleValue || spec?.example)) return [exampleValue || spec!.example!, 'example'];
  return ['', 'empty'];
}

/** URL-safe random text of at least `length` characters. */
export function generateSecret(length = DEFAULT_SECRET_MIN): string {
  return randomBytes(Math.ceil((Math.max(length, 16) * 3) / 4))
    .toString('base64url')
    .slice(0, Math.max(length, 16));
}

/** Quotes a value so that dotenv.parse reads it back unchanged. */
export function quote(value: string): string {
  if (value === '' || /^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  // dotenv reads a line break (CR too: it turns CR and CRLF into LF first) inside single or back
  // quotes as LF; only double quotes hold \r and \n as escapes.
  const breaks = /[\r\n]/.test(value);
  if (!value.includes("'") && !breaks) return `'${value}'`;
  if (!value.includes('`') && !breaks) return `\`${value}\``;
  if (!value.includes('"') && !/\\[nr]/.test(value)) return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  throw new TmError('TM_ENV_UNQUOTABLE', 'a value mixes quotes and newlines in a way .env cannot hold', { exit: EXIT.config });
}
