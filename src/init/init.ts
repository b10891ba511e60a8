import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseConfig } from '../config/load.js';
import { projectVariables } from '../config/env-files.js';
import { isRuntimeName, RUNTIME_NAMES, type RuntimeName } from '../config/runtime-name.js';
import { initEnv } from '../env/init.js';
import { EXIT, TmError } from '../errors.js';
import { render, type RenderOptions, type Target } from '../render/targets.js';
import { TEMPLATES_DIR, tmVersion } from '../render/template.js';
import { PACKAGE_NAME } from '../util/package-name.js';

export const PROJECT_TEMPLATES = ['minimal', 'express-pg', 'next-prisma'] as const;
export type ProjectTemplate = (typeof PROJECT_TEMPLATES)[number];

export interface InitAnswers {
  name: string;
  template: ProjectTemplate;
  pgPort: number;
  redisPort: number;
  appPort: number;
  runtime: RuntimeName;
  /** db.branches: each git branch gets a database of its own. */
  branches?: boolean;
}

/** The answers as flags give them: the template and runtime are still to be checked. */
export type UncheckedAnswers = Omit<InitAnswers, 'template' | 'runtime'> & { template: string; runtime: string };

interface TemplateSpec {
  /** Files rendered from the model once the template is written (`path` is where render puts it). */
  rendered: { target: Target; path: string; opts?: RenderOptions }[];
  usesAppPort: boolean;
}

const SCHEMA = { target: 'schema', path: 'taskmaster.schema.json' } as const;
const ENV_EXAMPLE = { target: 'env-example', path: '.env.example' } as const;
const WORKFLOW = { target: 'github-actions', path: '.github/workflows/ci.yml' } as const;
const TEMPLATES: Record<ProjectTemplate, TemplateSpec> = {
  minimal: { rendered: [SCHEMA, ENV_EXAMPLE], usesAppPort: false },
  'express-pg': {
    rendered: [SCHEMA, ENV_EXAMPLE, { target: 'dockerfile', path: 'Dockerfile' }, { target: 'dockerignore', path: '.dockerignore' }, WORKFLOW],
    usesAppPort: true,
  },
  'next-prisma': { rendered: [SCHEMA, ENV_EXAMPLE, { target: 'compose', path: 'compose.yml' }, WORKFLOW], usesAppPort: false },
};

/**
 * The variable that sets what a new project's package.json asks for tm (`^<version>` by
 * default): another version range, or a tarball or folder (`file:/abs/path.tgz`) that stands
 * in for the registry.
 */
export const PACKAGE_SPEC_VARIABLE = 'TM_PACKAGE_SPEC';

/** The dependency spec of tm written into a new project's package.json. */
export function tmDependencySpec(env: NodeJS.ProcessEnv = process.env): string {
  return env[PACKAGE_SPEC_VARIABLE] || `^${tmVersion()}`;
}
const IGNORED = ['.env', '.env.local', '.env.backup-*', '.taskmaster/', 'node_modules/'];
const NAME = /^[a-z0-9][a-z0-9_-]*$/;

export function defaultName(dir: string): string {
  return (
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'app'
  );
}

/** Checks the answers before anything is read or written (exit 2). */
export function validateAnswers(a: UncheckedAnswers): asserts a is InitAnswers {
  const usage = (message: string, hint: string) => new TmError('TM_USAGE', message, { exit: EXIT.usage, hint });
  if (!isTemplate(a.template)) throw usage(`no template named "${a.template}"`, `templates: ${PROJECT_TEMPLATES.join(', ')}`);
  if (!NAME.test(a.name)) throw usage(`"${a.name}" is not a project name`, 'lowercase letters, digits, - and _');
  if (!isRuntimeName(a.runtime)) throw usage(`no runtime named "${a.runtime}"`, `--runtime ${RUNTIME_NAMES.join(' | ')}`);
  const ports: [string, number][] = [
    ['--pg-port', a.pgPort],
    ['--redis-port', a.redisPort],
    ...(TEMPLATES[a.template].usesAppPort ? [['--app-port', a.appPort] as [string, number]] : []),
  ];
  for (const [flag, port] of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw usage(`${flag}: "${String(port)}" is not a port`, 'a number 1-65535');
  }
  for (const [i, [flag, port]] of ports.entries()) {
    const other = ports.slice(0, i).find(([, p]) => p === port);
    if (other) throw usage(`${other[0]} and ${flag} are both ${port}`, 'give each service its own port');
  }
}

function isTemplate(name: string): name is ProjectTemplate {
  return (PROJECT_TEMPLATES as readonly string[]).includes(name);
}

/** The files of `template` that already exist in `dir` (tm init never overwrites one). */
export async function findClashes(dir: string, template: ProjectTemplate): Promise<string[]> {
  const files = (await listFiles(join(TEMPLATES_DIR, 'projects', template))).map((f) => f.replace(/\.tmpl$/, ''));
  return [...files, ...TEMPLATES[template].rendered.map((r) => r.path), '.env'].filter((t) => existsSync(join(dir, t)));
}

export function clashError(dir: string, clashes: string[]): TmError {
  return new TmError(
    'TM_INIT_CLASH',
    `${relative(process.cwd(), dir) || '.'} already has ${clashes.length} of the files tm init would write; nothing was written`,
    {
      exit: EXIT.usage,
      details: clashes,
      hint: 'pick an empty directory: tm init DIR',
    },
  );
}

export interface InitResult {
  files: string[];
  env: string[];
  /** The project has a package.json: its dependencies are to be installed before `tm up`. */
  packageJson: boolean;
}

/**
 * Writes a starter project into `dir`: the template's files, files rendered from its model,
 * `.gitignore` entries and `.env` (secrets generated). Everything is checked first (the
 * answers, clashing files, the project's taskmaster.yml), and a failure on the way removes
 * what was written: a failed init leaves nothing behind.
 */
export async function initProject(dir: string, a: InitAnswers, opts: { tmSpec?: string } = {}): Promise<InitResult> {
  validateAnswers(a);
  const spec = TEMPLATES[a.template];
  const clashes = await findClashes(dir, a.template);
  if (clashes.length > 0) throw clashError(dir, clashes);

  const source = join(TEMPLATES_DIR, 'projects', a.template);
  const values: Record<string, string> = {
    name: a.name,
    db_name: a.name.replace(/-/g, '_'),
    pg_port: String(a.pgPort),
    redis_port: String(a.redisPort),
    app_port: String(a.appPort),
    runtime: a.runtime,
    branches: a.branches ? 'true' : 'false',
    tm_package: PACKAGE_NAME,
    // Inside a JSON string of package.json.tmpl.
    tm_spec: JSON.stringify(opts.tmSpec ?? tmDependencySpec()).slice(1, -1),
  };
  const files = new Map<string, string>();
  for (const file of await listFiles(source)) {
    const text = await readFile(join(source, file), 'utf8');
    files.set(file.replace(/\.tmpl$/, ''), file.endsWith('.tmpl') ? text.replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? `{{${k}}}`) : text);
  }
  // The model is validated before anything is written (exit 3 leaves the directory as it was);
  // the files written below hold no env file, so this is the model the project loads.
  const root = resolve(dir);
  const config = parseConfig(files.get('taskmaster.yml')!, {
    file: join(root, 'taskmaster.yml'),
    root,
    vars: await projectVariables(root, {}),
    displayFile: 'taskmaster.yml',
  });

  const undo = new Undo(dir);
  try {
    await undo.mkdirs(dir);
    for (const [path, text] of files) await undo.write(path, text);
    await undo.keepGitignore();
    await addToGitignore(dir);
    for (const r of spec.rendered) {
      const { path, text } = await render(config, r.target, r.opts);
      await undo.write(path, text);
    }
    undo.created.add(join(dir, '.env'));
    const env = await initEnv(config);
    const written = [...files.keys(), ...spec.rendered.map((r) => r.path), '.gitignore', '.env'];
    return { files: written.filter((f) => !f.endsWith('.gitkeep')).sort(), env: env.written.map((w) => w.key), packageJson: files.has('package.json') };
  } catch (err) {
    await undo.run();
    throw err;
  }
}

/** Remembers what init created, to remove it again when a later step fails. */
class Undo {
  readonly created = new Set<string>();
  private readonly dirs: string[] = [];
  private gitignore: string | undefined | null = null;
  constructor(private readonly root: string) {}

  async mkdirs(dir: string): Promise<void> {
    const missing: string[] = [];
    for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.push(d);
    await mkdir(dir, { recursive: true });
    this.dirs.push(...missing);
  }

  async write(rel: string, text: string): Promise<void> {
    const file = join(this.root, rel);
    try {
      await this.mkdirs(dirname(file));
      this.created.add(file);
      await writeFile(file, text, { flag: 'wx' });
    } catch (err) {
      throw new TmError('TM_INIT_WRITE', `cannot write ${rel}: ${(err as Error).message}`, {
        exit: EXIT.problems,
        cause: err,
        hint: 'nothing was left behind; fix the directory and run tm init again',
      });
    }
  }

  async keepGitignore(): Promise<void> {
    this.gitignore = await readFile(join(this.root, '.gitignore'), 'utf8').catch(() => undefined);
  }

  async run(): Promise<void> {
    for (const f of this.created) await rm(f, { force: true });
    if (this.gitignore !== null) {
      const file = join(this.root, '.gitignore');
      if (this.gitignore === undefined) await rm(file, { force: true });
      else await writeFile(file, this.gitignore);
    }
    // Deepest first; a directory that is not empty (something else is in it) stays.
    for (const d of [...this.dirs].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => undefined);
  }
}

async function listFiles(root: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Appends to `.gitignore` the entries of tm's files it lacks (nothing already there changes); returns them. */
export async function addToGitignore(dir: string): Promise<string[]> {
  const file = join(dir, '.gitignore');
  const current = await readFile(file, 'utf8').catch(() => '');
  const have = new Set(current.split(/\r?\n/).map((l) => l.trim()));
  const missing = IGNORED.filter((l) => !have.has(l) && !have.has(l.replace(/\/$/, '')));
  if (missing.length === 0) return [];
  await writeFile(file, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
  return missing;
}
