import { resolve } from 'node:path';
import {
  clashError,
  defaultName,
  findClashes,
  initProject,
  PROJECT_TEMPLATES,
  RUNTIMES,
  validateAnswers,
  type InitAnswers,
  type ProjectTemplate,
} from '../../init/init.js';
import { EXIT, TmError } from '../../errors.js';
import { installCommand, packageManagerOf } from '../../util/package-manager.js';
import { runCommand, showCommand } from '../../util/run-command.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const dir = resolve(ctx.cwd, args[0] ?? '.');
  const port = (v: unknown, fallback: number, flag: string) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new TmError('TM_USAGE', `${flag}: "${String(v)}" is not a port`, { exit: EXIT.usage, hint: 'a number 1-65535' });
    return n;
  };
  let answers: InitAnswers = {
    name: (opts.name as string | undefined) ?? defaultName(dir),
    template: ((opts.template as string | undefined) ?? 'minimal') as ProjectTemplate,
    pgPort: port(opts.pgPort, 5432, '--pg-port'),
    redisPort: port(opts.redisPort, 6379, '--redis-port'),
    appPort: port(opts.appPort, 3000, '--app-port'),
    runtime: ((opts.runtime as string | undefined) ?? 'auto') as InitAnswers['runtime'],
  };
  // Bad flags and clashing files are reported before any question is asked.
  validateAnswers(answers);
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
  const installed = result.packageJson && opts.install !== false;
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
  const next = `${args[0] ? `cd ${args[0]} && ` : ''}${result.packageJson && !installed ? `${install} && ` : ''}tm up`;
  ctx.out.result({ dir, ...answers, ...result, installed, next }, () =>
    [`created ${answers.name} from the ${answers.template} template:`, ...result.files.map((f) => `  ${f}`), '', `next: ${next}`].join('\n'),
  );
}

async function ask(d: InitAnswers): Promise<InitAnswers> {
  const { input, select } = await import('@inquirer/prompts');
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
    { message: 'Runtime', default: d.runtime, choices: RUNTIMES.map((r) => ({ value: r, name: r })) },
    output,
  );
  return { name, template, pgPort, redisPort, appPort, runtime };
}
