import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml';
import { expandEnv } from '../../config/env-files.js';
import { EXIT, TmError } from '../../errors.js';
import { interpolate, type Variables } from './compose-interpolate.js';

// A project's compose files as Compose reads them: which files (compose.yaml and its
// override, or COMPOSE_FILE), merged per the specification's merge rules, the variables they
// are interpolated with (.env of the project, then the environment), profiles and env_file.

/** The names Compose looks for, in its order, and their override files. */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;
export const OVERRIDE_FILES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'] as const;

/** A service as written (after merging), its strings not yet interpolated. */
export type RawService = Record<string, unknown>;

export interface ComposeProject {
  /** The files read, relative to the project, in merge order. */
  files: string[];
  /** Every service, by name, merged. */
  services: Record<string, RawService>;
  /** What compose interpolates with: the environment over the project's `.env`. */
  vars: Variables;
  /** Profiles switched on (COMPOSE_PROFILES). */
  profiles: string[];
  /** Top-level keys read but not carried (include, extends...). */
  ignored: string[];
  /** Its `name:`, if it has one. */
  name?: string;
}

/** `!reset` in an override file: the key is removed. */
const RESET = Symbol('reset');
/** `!override` in an override file: the value replaces, rather than merges with, the one before. */
const OVERRIDE = Symbol('override');
type Overriding = { [OVERRIDE]: unknown };

/** The compose files of `root` that Compose would read, or none. */
export function composeFiles(root: string, vars: Variables): string[] {
  if (vars.COMPOSE_FILE) {
    const sep = vars.COMPOSE_PATH_SEPARATOR || ':';
    return vars.COMPOSE_FILE.split(sep)
      .filter(Boolean)
      .map((f) => relative(root, resolve(root, f)));
  }
  const base = COMPOSE_FILES.find((f) => existsSync(join(root, f)));
  if (!base) return [];
  const override = OVERRIDE_FILES.find((f) => existsSync(join(root, f)));
  return override ? [base, override] : [base];
}

/** The variables compose interpolates with: the project's `.env` (its own `${}` expanded), then the environment. */
export function composeVariables(root: string, env: NodeJS.ProcessEnv): Variables {
  const file = join(root, '.env');
  const parsed = existsSync(file) ? parseDotenv(readFileSync(file, 'utf8')) : {};
  return { ...expandEnv(parsed, env), ...env };
}

/** Reads and merges the project's compose files; undefined when it has none. */
export function readCompose(root: string, env: NodeJS.ProcessEnv = process.env): ComposeProject | undefined {
  const vars = composeVariables(root, env);
  const files = composeFiles(root, vars);
  if (files.length === 0) return undefined;
  let merged: Record<string, unknown> = {};
  for (const f of files) {
    const path = join(root, f);
    if (!existsSync(path)) throw new TmError('TM_ADOPT_COMPOSE', `${f} (from COMPOSE_FILE) does not exist`, { exit: EXIT.config, hint: 'fix COMPOSE_FILE' });
    merged = mergeCompose(merged, parseCompose(readFileSync(path, 'utf8'), f));
  }
  const services = (merged.services ?? {}) as Record<string, RawService>;
  const profiles = (interpolate(vars.COMPOSE_PROFILES ?? '', vars).value || '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const ignored = Object.keys(merged).filter(
    (k) => !['services', 'volumes', 'networks', 'name', 'version', 'configs', 'secrets'].includes(k) && !k.startsWith('x-'),
  );
  const name = typeof merged.name === 'string' ? interpolate(merged.name, vars).value : undefined;
  return { files, services, vars, profiles, ignored, name };
}

/** One compose file as plain data, with `!reset` and `!override` marked for the merge. */
export function parseCompose(text: string, shownAs: string): Record<string, unknown> {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new TmError('TM_ADOPT_COMPOSE', `${shownAs}${at ? `:${at.line}:${at.col}` : ''}: ${e.message.split('\n')[0]}`, {
      exit: EXIT.config,
      hint: `fix the YAML of ${shownAs} (docker compose config shows the same)`,
    });
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new TmError('TM_ADOPT_COMPOSE', `${shownAs} is not a compose file (expected a mapping with services:)`, { exit: EXIT.config });
  }
  markTags(doc.contents, data as Record<string, unknown>);
  return data as Record<string, unknown>;
}

/** Puts the `!reset` / `!override` markers of the YAML nodes onto the plain data. */
function markTags(node: Node | null | undefined, data: unknown): void {
  if (!node || !data || typeof data !== 'object') return;
  const entries: [string | number, Node | null | undefined][] = [];
  if (isMap(node)) for (const p of node.items) entries.push([String(isScalar(p.key) ? p.key.value : p.key), p.value as Node | null]);
  else if (isSeq(node)) for (const [i, n] of node.items.entries()) entries.push([i, n as Node]);
  const target = data as Record<string | number, unknown>;
  for (const [key, child] of entries) {
    if (!child || !(key in target)) continue;
    if (child.tag === '!reset') target[key] = RESET;
    else if (child.tag === '!override') target[key] = { [OVERRIDE]: target[key] } satisfies Overriding;
    else markTags(child, target[key]);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sequences of a service whose items are replaced as a whole (shell commands). */
const REPLACED = new Set(['command', 'entrypoint', 'healthcheck.test']);
/** Sequences that are maps written as lists (`KEY=VALUE`): merged by key. */
const MAPPINGS = new Set(['environment', 'labels', 'extra_hosts', 'sysctls', 'build.args', 'depends_on', 'annotations']);

/**
 * Merges a later compose file into what came before, as the Compose specification says:
 * mappings key by key, shell commands replaced, KEY=VALUE lists and `depends_on` by key,
 * `volumes` by their target, other sequences appended without duplicates; `!reset` removes
 * a key and `!override` replaces the value.
 */
export function mergeCompose(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  return mergeAt(base, over, []) as Record<string, unknown>;
}

function mergeAt(base: unknown, over: unknown, path: string[]): unknown {
  if (over === RESET) return undefined;
  if (isObject(over) && OVERRIDE in over) return clean((over as Overriding)[OVERRIDE]);
  const inService = path[0] === 'services' && path.length >= 3;
  const key = inService ? path.slice(2).join('.') : '';
  if (inService && REPLACED.has(key)) return clean(over);
  if (inService && MAPPINGS.has(key) && (Array.isArray(base) || Array.isArray(over) || isObject(base) || isObject(over))) {
    const b = listToMap(base, key);
    const o = listToMap(over, key);
    return mergeAt(b, o, ['_map']);
  }
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const m = mergeAt(base[k], v, [...path, k]);
      if (m === undefined) delete out[k];
      else out[k] = m;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    if (inService && (key === 'volumes' || key === 'secrets' || key === 'configs')) {
      const byTarget = new Map(base.map((v) => [volumeTarget(v), v]));
      for (const v of over) byTarget.set(volumeTarget(v), clean(v));
      return [...byTarget.values()];
    }
    const seen = new Set(base.map((v) => JSON.stringify(v)));
    return [...base, ...over.map(clean).filter((v) => !seen.has(JSON.stringify(v)))];
  }
  return clean(over);
}

/** Data with no markers left (an override's value standing alone). */
function clean(v: unknown): unknown {
  if (v === RESET) return undefined;
  if (isObject(v) && OVERRIDE in v) return clean((v as Overriding)[OVERRIDE]);
  if (Array.isArray(v)) return v.map(clean).filter((x) => x !== undefined);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (clean(x) === undefined ? [] : [[k, clean(x)]])));
  return v;
}

/** `["A=1", "B"]` as `{A: "1", B: null}`; `depends_on: [db]` as `{db: {condition: service_started}}`. */
export function listToMap(v: unknown, key: string): Record<string, unknown> {
  if (isObject(v)) return v;
  if (!Array.isArray(v)) return {};
  const out: Record<string, unknown> = {};
  for (const item of v) {
    const s = String(item);
    if (key === 'depends_on') out[s] = { condition: 'service_started' };
    else if (key === 'extra_hosts') {
      const i = s.search(/[=:]/);
      out[i === -1 ? s : s.slice(0, i)] = i === -1 ? null : s.slice(i + 1);
    } else {
      const i = s.indexOf('=');
      out[i === -1 ? s : s.slice(0, i)] = i === -1 ? null : s.slice(i + 1);
    }
  }
  return out;
}

/** Where a volume (short `src:/target[:ro]` or long form) is mounted in the container. */
export function volumeTarget(v: unknown): string {
  if (isObject(v)) return String(v.target ?? '');
  const parts = String(v).split(':');
  return parts.length === 1 ? parts[0]! : parts[1]!;
}

/** Whether a service is started by a plain `docker compose up` (no profile, or one switched on). */
export function isActive(svc: RawService, profiles: string[]): boolean {
  const own = Array.isArray(svc.profiles) ? svc.profiles.map(String) : [];
  return own.length === 0 || own.some((p) => profiles.includes(p) || profiles.includes('*'));
}

/** One variable a container gets: as written in the file (for taskmaster.yml), its value, and where it came from. */
export interface ContainerVariable {
  /** Compose text (`${POSTGRES_PASSWORD:-dev}`), or undefined when taken from an env_file or the shell. */
  written?: string;
  value: string;
  /** `environment`, the env_file path, or `shell` (`- KEY` with no value). */
  from: string;
}

/**
 * A service's container variables: its env_files in order (relative to the project), then
 * `environment:`, which wins. Missing env files that are required are reported in `problems`.
 */
export function containerVariables(root: string, svc: RawService, vars: Variables, problems: string[] = []): Map<string, ContainerVariable> {
  const out = new Map<string, ContainerVariable>();
  const files = svc.env_file === undefined ? [] : Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
  for (const entry of files) {
    const path = interpolate(String(isObject(entry) ? entry.path : entry), vars).value;
    const required = isObject(entry) ? entry.required !== false : true;
    const file = isAbsolute(path) ? path : join(root, path);
    if (!existsSync(file)) {
      if (required) problems.push(`env_file ${path} does not exist`);
      continue;
    }
    const parsed = expandEnv(parseDotenv(readFileSync(file, 'utf8')), {});
    const shown = relative(root, file) || path;
    for (const [k, v] of Object.entries(parsed)) out.set(k, { value: v, from: shown });
  }
  for (const [k, raw] of Object.entries(listToMap(svc.environment, 'environment'))) {
    if (raw === null || raw === undefined) {
      const v = vars[k];
      if (v !== undefined) out.set(k, { value: v, from: 'shell' });
      continue;
    }
    const written = String(raw);
    out.set(k, { written, value: interpolate(written, vars).value, from: 'environment' });
  }
  return out;
}
