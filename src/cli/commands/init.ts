import { resolve } from 'node:path';
import { RUNTIME_NAMES } from '../../config/runtime-name.js';
import { EXIT, TmError } from '../../errors.js';
import {
  clashError,
  defaultName,
  findClashes,
  type InitAnswers,
  type UncheckedAnswers,
  initProject,
  PROJECT_TEMPLATES,
  type ProjectTemplate,
  validateAnswers,
} from '../../init/init.js';
import { adoptProject } from '../../init/adopt/adopt.js';
import { installCommand, packageManagerOf } from '../../util/package-manager.js';
import { runCommand, showCommand } from '../../util/run-command.js';
import { findGit } from '../../config/git.js';
import { loadConfig } from '../../config/load.js';
import { installHook } from '../../stack/git-hook.js';
import type { Context } from '../context.js';

/** The options of `tm init`: the answers' defaults (ports checked by program.ts), and --no-install. */
export type InitFlags = Omit<UncheckedAnswers, 'name'> & { name?: string; install: boolean; adopt?: boolean };

export async function run(ctx: Context, opts: InitFlags, args: string[]): Promise<void> {
  const dir = resolve(ctx.cwd, args[0] ?? '.');
  if (opts.adopt) return adopt(ctx, dir);
  const { template, pgPort, redisPort, appPort, runtime, branches } = opts;
  const flags: UncheckedAnswers = { name: opts.name ?? defaultName(dir), template, pgPort, redisPort, appPort, runtime, branches: Boolean(branches) };
  // Bad flags and clashing files are reported before any question is asked.
  validateAnswers(flags);
  let answers: InitAnswers = flags;
  if (!ctx.globals.yes) {
    if (!process.stdin.isTTY || !process.stderr.isTTY || process.env.CI) {
      throw new TmError('TM_NEEDS_YES', 'tm init asks questions, and there is no terminal to ask on', {
        exit: EXIT.usage,
        hint: 'pass --yes to take the defaults (and --template, --name, --pg-port ... to change them)',
      });
    }
    const clashes = await findClashes(dir, answers.template);
    if (clashes.length > 0) throw clashError(dir, clashes);
    answers = await ask(answers);
  }
  const result = await ctx.out.step(`writing the ${answers.template} template into ${dir}`, () => initProject(dir, answers));
  // The package manager tm runs through (npx, pnpm dlx, yarn dlx) installs the dependencies.
  const install = showCommand(installCommand(packageManagerOf()));
  const installed = result.packageJson && opts.install;
  if (installed) {
    await ctx.out.step(`installing dependencies (${install})`, () =>
      runCommand(installCommand(packageManagerOf()), {
        cwd: dir,
        signal: ctx.signal,
        code: 'TM_INSTALL_FAILED',
        hint: `the project is written; once the cause is fixed: cd ${args[0] ?? '.'} && ${install}`,
      }),
    );
  }
  const hook = answers.branches ? await branchHook(dir) : undefined;
  const next = `${args[0] ? `cd ${args[0]} && ` : ''}${result.packageJson && !installed ? `${install} && ` : ''}tm up`;
  ctx.out.result({ dir, ...answers, ...result, installed, hook, next }, () =>
    [
      `created ${answers.name} from the ${answers.template} template:`,
      ...result.files.map((f) => `  ${f}`),
      ...(hook
        ? ['', hook.file ? `the database follows the git branch: ${hook.action} ${hook.file}` : `the database follows the git branch once ${hook.action}`]
        : []),
      '',
      `next: ${next}`,
    ].join('\n'),
  );
}

/** `tm init --adopt`: taskmaster.yml from the project's own files, and what was (not) carried. */
async function adopt(ctx: Context, dir: string): Promise<void> {
  const result = await ctx.out.step(`reading ${dir}`, () => adoptProject(dir));
  const { c } = ctx.out;
  const mark = { mapped: c.green('✓'), note: c.yellow('!'), unmapped: c.red('✗') };
  ctx.out.result(
    {
      dir,
      written: result.written,
      read: result.read,
      services: result.services,
      mapped: result.findings.filter((f) => f.status !== 'unmapped'),
      unmapped: result.findings.filter((f) => f.status === 'unmapped'),
      next: 'tm up',
    },
    () => {
      const lines = [
        `wrote ${result.written.join(', ')} from ${result.read.join(', ') || 'nothing (no compose file, .env, package.json or migrations found)'}:`,
      ];
      // The notes of a thing under the line that maps it.
      let last = '';
      for (const f of result.findings) {
        if (f.status === 'note' && f.from === last) lines.push(`      ${mark.note} ${f.detail}`);
        else lines.push(`  ${mark[f.status]} ${f.from}${f.to ? ` → ${f.to}` : ''}: ${f.detail}`);
        last = f.from;
      }
      const unmapped = result.findings.filter((f) => f.status === 'unmapped').length;
      lines.push('', `${unmapped} not mapped; next: tm up (tm doctor lists what still differs from the compose file)`);
      return lines.join('\n');
    },
  );
}

/** With --branches, the post-checkout hook that keeps .env on the branch's database: installed in a git work tree, else the step to take. */
async function branchHook(dir: string): Promise<{ action: string; file?: string }> {
  if (!findGit(dir)) return { action: 'the project is in git: git init && tm hooks install' };
  const r = await installHook(await loadConfig({ cwd: dir }));
  return { action: r.action === 'created' ? 'wrote' : `${r.action} tm's lines in`, file: r.file };
}

async function ask(d: InitAnswers): Promise<InitAnswers> {
  // Lazy: @inquirer/prompts is heavy, and tm init --yes (scripts, CI) asks nothing.
  const { confirm, input, select } = await import('@inquirer/prompts');
  const output = { output: process.stderr };
  const name = await input(
    { message: 'Project name', default: d.name, validate: (v) => /^[a-z0-9][a-z0-9_-]*$/.test(v) || 'lowercase letters, digits, - and _' },
    output,
  );
  const template = await select<ProjectTemplate>(
    { message: 'Template', default: d.template, choices: PROJECT_TEMPLATES.map((t) => ({ value: t, name: t })) },
    output,
  );
  const portOf = async (message: string, value: number) =>
    Number(await input({ message, default: String(value), validate: (v) => (/^\d+$/.test(v) && Number(v) <= 65535) || 'a port number' }, output));
  const pgPort = await portOf('Postgres port', d.pgPort);
  const redisPort = await portOf('Redis port', d.redisPort);
  const appPort = template === 'express-pg' ? await portOf('App port', d.appPort) : d.appPort;
  const runtime = await select<InitAnswers['runtime']>(
    { message: 'Runtime', default: d.runtime, choices: RUNTIME_NAMES.map((r) => ({ value: r, name: r })) },
    output,
  );
  const branches = await confirm(
    { message: 'Give each git branch a database of its own (db.branches, with a post-checkout hook)?', default: Boolean(d.branches) },
    output,
  );
  return { name, template, pgPort, redisPort, appPort, runtime, branches };
}
