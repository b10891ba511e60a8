import { createHash } from 'node:crypto';
import { basename, dirname, relative, resolve } from 'node:path';
import { type Document, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
import type { $ZodIssue } from 'zod/v4/core';
import { EXIT, TmError, errorText, type Problem } from '../errors.js';
import { readEnvTexts, variablesFrom } from './env-files.js';
import { configTooLarge, findConfig, MAX_CONFIG_BYTES, readConfigText, type LoadOptions } from './find.js';

export { CONFIG_NAMES, findConfig, type LoadOptions } from './find.js';
import { suggest } from '../util/suggest.js';
import { findCycle } from './graph.js';
import { resolveInit } from './init-files.js';
import { interpolate, type Unresolved } from './interpolate.js';
import { detectKind, hostPorts, KIND_NAMES, KINDS, kindOf } from '../catalog/index.js';
import { configSchema, type EnvVarSpec, type RawConfig, type Service } from './schema.js';
import { applyStack, portMap, type StackPorts } from './stack.js';
import { applyBranch, type BranchFact } from './branch.js';
import { describe } from './zod.js';

/** A loaded, validated project. */
export interface Config {
  /** Absolute path of taskmaster.yml. */
  file: string;
  /** The project directory (where taskmaster.yml lives). */
  root: string;
  name: string;
  /** `name` plus a short hash of the project path: two clones never share state. */
  projectId: string;
  runtime: RawConfig['runtime'];
  /** `auto`: a stack other than the project's first gets ports of its own; `fixed`: always taskmaster.yml's. */
  ports: RawConfig['ports'];
  /** This stack's ports: how they were decided, and taskmaster.yml's for reference (see stack.ts). */
  stack: StackPorts;
  /** Services in file order, with this stack's ports. */
  services: Service[];
  env: Record<string, EnvVarSpec>;
  db: RawConfig['db'];
  docker: RawConfig['docker'];
  /** Non-fatal findings, e.g. `${VAR}` with no value. */
  warnings: Problem[];
  /** With db.branches in a git checkout: the branch and its database (branch.ts). */
  branch?: BranchFact;
}

/** The project as this stack sees it: taskmaster.yml validated, with the stack's own ports (stack.ts). */
export async function loadConfig(opts: LoadOptions = {}): Promise<Config> {
  const file = await findConfig(opts);
  return applyBranch(applyStack(loadConfigFrom(file, readConfigText(file), readEnvTexts(dirname(file)), opts)));
}

/** loadConfig over texts already read: taskmaster.yml, then the env files (null when absent). */
export function loadConfigFrom(file: string, source: string, envTexts: (string | null)[], opts: LoadOptions = {}): Config {
  const vars = variablesFrom(envTexts, opts.env ?? process.env);
  return parseConfig(source, { file, root: dirname(file), vars, displayFile: displayName(file, opts.cwd) });
}

export interface ParseOptions {
  file: string;
  root: string;
  vars: Record<string, string | undefined>;
  /** How the file is named in messages (relative to the cwd). */
  displayFile?: string;
}

/**
 * A service taken for an app (by its name) whose keys are all another kind's: the likely fix,
 * e.g. for `postgress:` or `rabbit:`.
 */
function lookalike(name: string, value: unknown): string | undefined {
  if (!isPlainObject(value) || 'kind' in value) return undefined;
  const fits = KIND_NAMES.filter((k) => k !== 'app' && k !== 'generic' && Object.keys(value).every((key) => key in KINDS[k].schema.shape));
  const guess = suggest(name, fits);
  if (guess) return `a service named "${name}" is an app: did you mean "${guess}"? (or add kind: ${guess})`;
  const kind = fits.find((k) => k === 'postgres' || k === 'redis') ?? fits[0];
  return kind && `a service named "${name}" is an app: add kind: ${kind} for a ${kind} service`;
}

/** Parses and validates config text; throws TmError(exit 3) listing every problem with its position. */
export function parseConfig(source: string, opts: ParseOptions): Config {
  const shown = opts.displayFile ?? opts.file;
  if (source.length > MAX_CONFIG_BYTES) throw configTooLarge(shown, Buffer.byteLength(source));
  const lineCounter = new LineCounter();
  // Duplicate keys are found below in one pass: the parser's own check compares each key with
  // every earlier one, minutes for a file of many keys.
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number | undefined): Pick<Problem, 'line' | 'column'> => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  const yamlProblems = [...doc.errors.map((e) => ({ offset: e.pos[0], message: yamlMessage(e.message) })), ...(doc.errors.length ? [] : shapeProblems(doc))];
  if (yamlProblems.length > 0)
    throw invalid(
      shown,
      yamlProblems.slice(0, MAX_PROBLEMS).map((p) => ({ file: shown, ...at(p.offset), message: p.message })),
      yamlProblems.length,
    );

  let raw: Record<string, unknown>;
  try {
    // The yaml package's own limit on how far aliases may expand (its default, made explicit).
    raw = (doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown> | null) ?? {};
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const alias = firstAlias(doc);
    throw invalid(shown, [
      { file: shown, ...at(alias?.range?.[0]), message: `aliases expand to too much data (${errorText(err)}): tm does not read an alias bomb` },
    ]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(shown, [{ file: shown, line: 1, column: 1, message: 'expected a mapping of keys (name, runtime, services, env, db)' }]);
  }

  const unresolved: Unresolved[] = [];
  const expanded = interpolate(raw, opts.vars, unresolved) as Record<string, unknown>;
  const problems: Problem[] = [];
  let located = 0;
  const locate = (path: PropertyKey[], key?: string): Omit<Problem, 'message'> => {
    const full = key === undefined ? path : [...path, key];
    // Past the problems an error lists, they are only counted: finding the node of each one
    // in a file of thousands of keys would take minutes.
    if (located++ >= MAX_PROBLEMS) return { file: shown, path: pathText(full) };
    const node = findNode(doc, full, key !== undefined);
    return { file: shown, ...at(node?.range?.[0]), path: pathText(full) };
  };
  const collect = (issues: $ZodIssue[], base: PropertyKey[], knownKeys: (path: PropertyKey[]) => readonly string[], otherwise?: string) => {
    for (const issue of issues) {
      const path = [...base, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const guess = suggest(key, knownKeys(path));
          const why = guess ? `did you mean "${guess}"?` : otherwise;
          problems.push({ ...locate(path, key), message: `unknown key${why ? ` (${why})` : ''}` });
        }
      } else {
        problems.push({ ...locate(path), message: zodMessage(issue.message) });
      }
    }
  };

  const top = configSchema.safeParse(expanded);
  if (!top.success) collect(top.error.issues, [], topLevelKeys);

  const services: Service[] = [];
  const rawServices = isPlainObject(expanded.services) ? expanded.services : {};
  for (const [name, value] of Object.entries(rawServices)) {
    const kind = detectKind(name, value);
    if (!kind) {
      const given = (value as { kind?: unknown }).kind;
      const guess = typeof given === 'string' ? suggest(given, KIND_NAMES) : undefined;
      problems.push({
        ...locate(['services', name, 'kind']),
        message: `unknown kind ${describe(given)}${guess ? ` (did you mean "${guess}"?)` : ''}: expected one of ${KIND_NAMES.join(', ')}`,
      });
      continue;
    }
    const { schema } = KINDS[kind];
    const parsed = schema.safeParse(value ?? {});
    if (!parsed.success) {
      collect(parsed.error.issues, ['services', name], () => Object.keys(schema.shape), kind === 'app' ? lookalike(name, value) : undefined);
      continue;
    }
    const service = { ...parsed.data, kind, name } as Service;
    if (service.kind === 'app' || service.kind === 'generic') service.envSource = writtenEnv(raw, name);
    services.push(service);
  }

  const name = (top.success && top.data.name) || sanitizeName(basename(opts.root));
  for (const svc of services) {
    kindOf(svc).complete?.(svc, name);
    for (const p of kindOf(svc).problems?.(svc) ?? [])
      problems.push({ ...locate(['services', svc.name, ...p.key.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))]), message: p.message });
    if (svc.kind !== 'app') continue;
    for (const dep of svc.depends_on) {
      if (!services.some((s) => s.name === dep) && dep in rawServices === false) {
        const guess = suggest(dep, Object.keys(rawServices));
        problems.push({
          ...locate(['services', svc.name, 'depends_on', svc.depends_on.indexOf(dep)]),
          message: `depends on "${dep}", which is not a service${guess ? ` (did you mean "${guess}"?)` : ''}`,
        });
      }
    }
  }
  problems.push(...postgresExtras(services, opts.root, top.success ? top.data.docker.test_db : undefined, locate));
  problems.push(...portClashes(services, locate));
  const cycle = findCycle(services);
  if (cycle) problems.push({ ...locate(['services', cycle[0]!, 'depends_on']), message: `dependency cycle: ${cycle.join(' -> ')}` });

  if (problems.length > 0) {
    const unlocated = Number.MAX_SAFE_INTEGER;
    problems.sort((a, b) => (a.line ?? unlocated) - (b.line ?? unlocated) || (a.column ?? 0) - (b.column ?? 0));
    throw invalid(shown, problems.slice(0, MAX_PROBLEMS), problems.length);
  }
  const data = top.data!;
  return {
    file: opts.file,
    root: opts.root,
    name,
    projectId: projectId(name, opts.root),
    runtime: data.runtime,
    ports: data.ports,
    stack: { mode: data.ports === 'fixed' ? 'fixed' : 'unassigned', configured: portMap(services) },
    services,
    env: normalizeEnv(data.env),
    db: data.db,
    docker: data.docker,
    warnings: unresolved.map((u) => ({
      ...locate(u.path),
      message: `\${${u.variable}} is not set in the environment, .env.local or .env (using "")`,
    })),
  };
}

/** `name` plus 8 hex digits of the project path. */
export function projectId(name: string, root: string): string {
  return `${name}-${createHash('sha256').update(resolve(root)).digest('hex').slice(0, 8)}`.toLowerCase();
}

/** The stack's compose project name: its project id (compose allows only [a-z0-9_-]). */
export function composeProject(config: Pick<Config, 'projectId'>): string {
  return config.projectId.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
}

/** An app's `env:` values as written in the file (before interpolation). */
function writtenEnv(raw: Record<string, unknown>, service: string): Record<string, string> | undefined {
  const services = raw.services as Record<string, unknown> | undefined;
  const env = isPlainObject(services?.[service]) ? (services[service] as { env?: unknown }).env : undefined;
  if (!isPlainObject(env)) return undefined;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

function normalizeEnv(env: Record<string, EnvVarSpec>): Record<string, EnvVarSpec> {
  const out: Record<string, EnvVarSpec> = {};
  for (const [key, spec] of Object.entries(env)) {
    out[key] = spec.enum ? { ...spec, type: 'enum', values: spec.values ?? spec.enum } : spec;
  }
  return out;
}

/**
 * Postgres' files and companions: each service's init files found on disk, then the test
 * database it asks for (`test_database:`, or `docker.test_db` for the first one) added after
 * it as a service of its own. In place: `services` gets the companions.
 */
function postgresExtras(
  services: Service[],
  root: string,
  dockerTestDb: boolean | undefined,
  locate: (path: PropertyKey[]) => Omit<Problem, 'message'>,
): Problem[] {
  const problems: Problem[] = [];
  const firstPg = services.find((s) => s.kind === 'postgres');
  if (dockerTestDb && firstPg?.kind === 'postgres' && firstPg.test_database === false) firstPg.test_database = true;
  for (const svc of [...services]) {
    if (svc.kind !== 'postgres') continue;
    const init = resolveInit(root, svc.init);
    for (const p of init.problems) problems.push({ ...locate(['services', svc.name, 'init', p.index]), message: p.message });
    svc.initFiles = init.files;
    for (const companion of kindOf(svc).companions?.(svc) ?? []) {
      const at = locate(['services', svc.name, 'test_database']);
      if (services.some((s) => s.name === companion.name))
        problems.push({
          ...at,
          message: `a test database is the service "${companion.name}", and ${services.some((s) => s.kind === 'postgres' && s.testOf) ? 'another Postgres service has one already (DATABASE_TEST_URL is one variable)' : 'a service of that name exists: rename it'}`,
        });
      else services.splice(services.indexOf(svc) + 1, 0, companion);
    }
  }
  return problems;
}

/** Where a service's key is written: a derived service's (the test database) are its origin's `test_database`. */
function keyPath(svc: Service, key: string): PropertyKey[] {
  return svc.kind === 'postgres' && svc.testOf ? ['services', svc.testOf, 'test_database'] : ['services', svc.name, ...key.split('.')];
}

/** Two ports of the project that are one: each service's ports (its kind's) are compared with all before them. */
function portClashes(services: Service[], locate: (path: PropertyKey[]) => Omit<Problem, 'message'>): Problem[] {
  const seen = new Map<number, string>();
  const problems: Problem[] = [];
  for (const svc of services) {
    for (const b of hostPorts(svc)) {
      const other = seen.get(b.port);
      const what = b.key === 'port' ? `port ${b.port}` : `${b.key} ${b.port}`;
      const whose = svc.kind === 'postgres' && svc.testOf ? ` (the test database's port: set test_database: { port: N })` : '';
      if (other) problems.push({ ...locate(keyPath(svc, b.key)), message: `${what} is already used by ${other}${whose}` });
      else seen.set(b.port, b.key === 'port' ? `service "${svc.name}"` : `service "${svc.name}" (${b.key})`);
    }
  }
  return problems;
}

function topLevelKeys(path: PropertyKey[]): readonly string[] {
  if (path.length === 0) return Object.keys(configSchema.shape);
  if (path[0] === 'db') return ['migrations', 'seeds', 'prisma', 'layout', 'branches', 'default_branch', 'templates'];
  if (path[0] === 'docker') return ['compose_file', 'test_db'];
  if (path[0] === 'env') return ['type', 'required', 'default', 'devDefault', 'min', 'generate', 'values', 'enum', 'description', 'example'];
  return [];
}

/** Problems listed in one error; a file with more says how many (the first ones are the fix to start with). */
const MAX_PROBLEMS = 50;
/** How deep taskmaster.yml may nest (its real shape is 4 levels): deeper is refused before anything recurses into it. */
const MAX_DEPTH = 64;
/** yaml's limit on alias expansion (its default), passed explicitly so it cannot be lost. */
const MAX_ALIAS_COUNT = 100;

/** Duplicate keys and nesting too deep, found in one pass over the document. */
function shapeProblems(doc: Document): { offset?: number; message: string }[] {
  const out: { offset?: number; message: string }[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0 && out.length < MAX_PROBLEMS) {
    const { node, depth } = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > MAX_DEPTH) {
      out.push({ offset: node.range?.[0], message: `nested deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    const seen = new Set<unknown>();
    for (const item of node.items) {
      if (isPair(item)) {
        if (isScalar(item.key)) {
          if (seen.has(item.key.value)) out.push({ offset: item.key.range?.[0], message: 'Map keys must be unique' });
          seen.add(item.key.value);
        }
        stack.push({ node: item.value, depth: depth + 1 });
      } else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return out.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
}

function firstAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias: (_, node) => {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function invalid(file: string, problems: Problem[], total = problems.length): TmError {
  const n = total;
  return new TmError(
    'TM_CONFIG_INVALID',
    `${file} has ${n} problem${n === 1 ? '' : 's'}${n > problems.length ? ` (the first ${problems.length} listed)` : ''}`,
    {
      exit: EXIT.config,
      problems,
      hint: `fix ${n === 1 ? 'it' : 'them'} in ${file} (the key names are listed in the README, "Configuration")`,
    },
  );
}

/** The deepest node on `path`; with `keyNode`, the key of the last segment. */
function findNode(doc: Document, path: PropertyKey[], keyNode: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let found = node as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      if (!pair) return found;
      if (last && keyNode) return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else return found;
    if (node && typeof node === 'object' && 'range' in node) found = node as Node;
  }
  return found;
}

function pathText(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

function zodMessage(message: string): string {
  return message
    .replace(/^Invalid input: expected (\w+), received (\w+)$/, 'expected $1, got $2')
    .replace(/^Invalid option: expected one of (.*)$/, 'expected one of $1');
}

function yamlMessage(message: string): string {
  // The yaml package appends "at line N, column M" and a code frame; we print our own position.
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  // Its parser reports running out of stack on deep nesting with the engine's words.
  return /Maximum call stack size exceeded/.test(first) ? `nested too deeply to read (more than ${MAX_DEPTH} levels is refused)` : first;
}

function sanitizeName(dir: string): string {
  return (
    dir
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'project'
  );
}

function displayName(file: string, cwd?: string): string {
  const rel = relative(resolve(cwd ?? process.cwd()), file);
  return rel.startsWith('..') ? file : rel || basename(file);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
