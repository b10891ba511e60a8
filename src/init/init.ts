import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { loadConfig } from '../config/load.js';
import { initEnv } from '../env/init.js';
import { EXIT, TmError } from '../errors.js';
import { render } from '../render/targets.js';
import { TEMPLATES_DIR } from '../render/template.js';

export const PROJECT_TEMPLATES = ['minimal', 'express-pg', 'next-prisma'] as const;
export type ProjectTemplate = (typeof PROJECT_TEMPLATES)[number];

export interface InitAnswers {
  name: string;
  template: ProjectTemplate;
  pgPort: number;
  redisPort: number;
  appPort: number;
  runtime: 'auto' | 'docker' | 'native';
}

/** Files rendered from the model after the template is written, per template. */
const RENDERED: Record<ProjectTemplate, { target: Parameters<typeof render>[1]; testDb?: boolean }[]> = {
  minimal: [{ target: 'schema' }],
  'express-pg': [{ target: 'schema' }, { target: 'dockerfile' }, { target: 'github-actions' }],
  'next-prisma': [{ target: 'schema' }, { target: 'compose' }, { target: 'github-actions' }],
};
const IGNORED = ['.env', '.env.local', '.taskmaster/'];

export function defaultName(dir: string): string {
  return basename(dir).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'app';
}

/**
 * Writes a starter project into `dir`: the template's files, files rendered from its model,
 * `.gitignore` entries and `.env` (secrets generated). Refuses, listing them, when any file
 * would be overwritten; nothing is written then.
 */
export async function initProject(dir: string, a: InitAnswers): Promise<{ files: string[]; env: string[] }> {
  if (!(PROJECT_TEMPLATES as readonly string[]).includes(a.template)) {
    throw new TmError('TM_USAGE', `no template named "${a.template}"`, { exit: EXIT.usage, hint: `templates: ${PROJECT_TEMPLATES.join(', ')}` });
  }
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(a.name)) {
    throw new TmError('TM_USAGE', `"${a.name}" is not a project name`, { exit: EXIT.usage, hint: 'lowercase letters, digits, - and _' });
  }
  const source = join(TEMPLATES_DIR, 'projects', a.template);
  const files = await listFiles(source);
  const values: Record<string, string> = {
    name: a.name,
    db_name: a.name.replace(/-/g, '_'),
    pg_port: String(a.pgPort),
    redis_port: String(a.redisPort),
    app_port: String(a.appPort),
    runtime: a.runtime,
  };
  const targets = files.map((f) => f.replace(/\.tmpl$/, ''));
  const rendered = RENDERED[a.template];
  const renderedPaths = ['taskmaster.schema.json', ...(a.template === 'express-pg' ? ['Dockerfile', '.github/workflows/ci.yml'] : []), ...(a.template === 'next-prisma' ? ['compose.yml', '.github/workflows/ci.yml'] : [])];
  const clashes = [...targets, ...renderedPaths, '.env'].filter((t) => existsSync(join(dir, t)));
  if (clashes.length > 0) {
    throw new TmError('TM_INIT_CLASH', `${relative(process.cwd(), dir) || '.'} already has ${clashes.length} of the files tm init would write; nothing was written`, {
      exit: EXIT.usage,
      details: clashes,
      hint: 'pick an empty directory: tm init DIR',
    });
  }
  for (const [i, file] of files.entries()) {
    const text = await readFile(join(source, file), 'utf8');
    const out = file.endsWith('.tmpl') ? text.replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? `{{${k}}}`) : text;
    await mkdir(dirname(join(dir, targets[i]!)), { recursive: true });
    await writeFile(join(dir, targets[i]!), out);
  }
  await addToGitignore(dir);
  const config = await loadConfig({ cwd: dir, env: {} });
  for (const r of rendered) {
    const { path, text } = await render(config, r.target, { testDb: r.testDb });
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const env = await initEnv(config);
  return { files: [...targets, ...renderedPaths, '.gitignore', '.env'].filter((f) => !f.endsWith('.gitkeep')).sort(), env: env.written.map((w) => w.key) };
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

async function addToGitignore(dir: string): Promise<void> {
  const file = join(dir, '.gitignore');
  const current = await readFile(file, 'utf8').catch(() => '');
  const have = new Set(current.split(/\r?\n/).map((l) => l.trim()));
  const missing = IGNORED.filter((l) => !have.has(l) && !have.has(l.replace(/\/$/, '')));
  if (missing.length === 0) return;
  await writeFile(file, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
}
