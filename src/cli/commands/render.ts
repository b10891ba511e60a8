import { relative } from 'node:path';
import { render, TARGETS, type Target } from '../../render/targets.js';
import { driftOf, outputPath, writeRendered } from '../../render/write.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const target = args[0] as Target;
  if (!TARGETS.includes(target)) {
    throw new TmError('TM_USAGE', `unknown render target "${args[0]}"`, { exit: EXIT.usage, hint: `targets: ${TARGETS.join(', ')}` });
  }
  const config = await ctx.config();
  const rendered = await render(config, target, { testDb: Boolean(opts.testDb), service: opts.service as string | undefined });
  const path = (opts.out as string | undefined) ?? (opts.check ? rendered.path : undefined);
  if (!path) {
    // Rendered files hold no secrets by construction (passwords go by variable), and masking
    // would corrupt the `${VAR}` references inside URLs: print them as they are.
    ctx.out.result({ target, path: rendered.path, text: rendered.text }, () => rendered.text.replace(/\n$/, ''), { reveal: true });
    return;
  }
  const file = outputPath(config.root, path);
  const shown = relative(config.root, file);
  if (opts.check) {
    const diff = await driftOf(file, shown, rendered.text);
    ctx.out.result({ target, path: shown, up_to_date: diff === undefined, diff }, () => diff ?? `${shown} is up to date`);
    if (diff) throw new TmError('TM_RENDER_DRIFT', `${shown} differs from what taskmaster.yml renders`, { exit: EXIT.problems, hint: `tm render ${target} --out ${shown}` });
    return;
  }
  await writeRendered(file, rendered.text);
  ctx.out.result({ target, path: shown, written: true }, () => `wrote ${shown}`);
}
