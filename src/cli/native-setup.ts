import { execa } from 'execa';
import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { EXIT, TmError } from '../errors.js';
import { assertAppsInstalled } from '../runtime/native/app-install.js';
import { planProvisioning, type ProvisionPlan } from '../runtime/native/provision.js';
import type { Runtime } from '../runtime/types.js';
import type { Context } from './context.js';
import { confirm } from './prompt.js';

/**
 * What the native runtime needs before `tm up` starts anything: the apps' dependencies
 * installed, and the servers' binaries (installed here when the user agrees). Docker builds
 * its own images, so there is nothing to check there.
 */
export async function prepareNative(ctx: Context, config: Config, runtime: Runtime, services: Service[]): Promise<void> {
  if (runtime.name !== 'native') return;
  await assertAppsInstalled(config.root, services, ctx.cwd);
  await provideBinaries(ctx, config, services, { rerun: 'tm up --yes' });
}

/**
 * Installs what the native runtime lacks for `services`, saying exactly what runs: with
 * --yes, or after asking on a terminal. Elsewhere nothing is installed: the error names what
 * is missing and the commands that add it (exit 4), or, with `optional` (tm doctor --fix),
 * the doctor's own findings say so.
 */
export async function provideBinaries(ctx: Context, config: Config, services: Service[], opts: { rerun: string; optional?: boolean }): Promise<void> {
  const plan = await planProvisioning(config, services, ctx.signal);
  if (plan.steps.length === 0 && plan.unavailable.length === 0) return;
  if (plan.unavailable.length > 0)
    throw missing(plan, 'tm cannot install all of it here; nothing was installed', plan.unavailable.map((u) => u.hint).join('; '));
  const terminal = Boolean(process.stdin.isTTY) && ctx.out.interactive;
  if (!ctx.globals.yes && !terminal) {
    if (opts.optional) return;
    throw missing(plan, 'nothing was installed (no terminal to ask on)', `${opts.rerun} runs the commands above (or run them yourself)`);
  }
  for (const line of describe(plan)) ctx.out.info(line);
  if (!ctx.globals.yes && !(await confirm(ctx, 'Install them now?')))
    throw missing(plan, 'nothing was installed', `${opts.rerun} runs them (or run them yourself)`);
  // sudo asks for its password before the progress line starts, not underneath it.
  if (terminal && plan.steps.some((s) => s.sudo)) await execa('sudo', ['-v'], { stdio: 'inherit', reject: false });
  for (const step of plan.steps) await ctx.out.step(`installing ${step.missing}`, () => step.run(ctx.signal));
}

function describe(plan: ProvisionPlan): string[] {
  return plan.steps.flatMap((s) => [`missing for the native runtime: ${s.missing}; tm runs:`, ...s.commands.map((c) => `  ${c}`)]);
}

function missing(plan: ProvisionPlan, what: string, hint: string): TmError {
  const names = [...plan.steps.map((s) => s.missing), ...plan.unavailable.map((u) => u.missing)];
  return new TmError('TM_BINARY_MISSING', `the native runtime needs ${names.join(', ')}: ${what}`, {
    exit: EXIT.runtime,
    details: plan.steps.flatMap((s) => [`${s.missing}:`, ...s.commands.map((c) => `  ${c}`)]),
    hint,
  });
}
