import { withDependencies } from '../../config/graph.js';
import { pickServices } from '../../config/services.js';
import { assertEnvValid, createEnvIfMissing } from '../../env/ensure.js';
import { formatProblem } from '../../errors.js';
import { bringUp, type RunStage } from '../../stack/bring-up.js';
import { runtimeFor } from '../../stack/select.js';
import type { UpResult } from '../../stack/up.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { prepareNative } from '../native-setup.js';
import { renderTable } from '../table.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  // Warnings about unset ${VAR}s wait until .env exists: the first tm up creates it.
  let config = await ctx.config({ quiet: true });
  const created = await createEnvIfMissing(config);
  if (created) {
    ctx.out.info(`created .env from the env contract (${created.written.length} keys; secrets generated)`);
    for (const w of created.warnings) ctx.out.warn(`.env ${w.path}: ${w.message}`);
    config = await ctx.reloadConfig();
  } else for (const w of config.warnings) ctx.out.warn(formatProblem(w));
  await assertEnvValid(config);
  const services = pickServices(config, args);
  const timeoutMs = parseDuration(String(opts.timeout), '--timeout');
  const { runtime, reason, warning } = await runtimeFor(config, opts.runtime as string | undefined, 'start');
  ctx.out.debug(`runtime: ${runtime.name} (${reason})`);
  if (warning) ctx.out.warn(warning);
  await prepareNative(ctx, config, runtime, withDependencies(config.services, services));
  const result = await bringUp(config, runtime, services, {
    timeoutMs,
    signal: ctx.signal,
    onProgress: (m) => ctx.out.info(m),
    onWarning: (m) => ctx.out.warn(m),
    migrate: opts.migrate !== false,
    seed: opts.seed !== false,
    runStage: showStages(ctx),
  });
  const { migrations, seeds } = result;
  ctx.out.result(
    result,
    () =>
      renderUp(ctx, result) +
      (migrations?.applied.length ? `\n\napplied ${migrations.applied.length} migration(s)` : '') +
      (seeds?.ran.length ? `\nran ${seeds.ran.length} seed file(s)` : ''),
  );
}

/** The pipeline's stages as a command shows them: a spinner (or a line) each; nothing for a skipped one. */
export function showStages(ctx: Context): RunStage {
  return async (stage) => {
    const plan = await stage.plan();
    if ('skipped' in plan) return undefined;
    return ctx.out.step(plan.title, plan.run, plan.summary);
  };
}

export function renderUp(ctx: Context, result: UpResult): string {
  const { c } = ctx.out;
  const rows = result.services.map((s) => [
    s.state === 'unmanaged' ? c.yellow('-') : c.green('✓'),
    s.name,
    s.state === 'unmanaged' ? 'not started by tm (start it yourself)' : s.state,
    s.url ?? '',
    s.ready_ms !== undefined && s.state === 'started' ? formatDuration(s.ready_ms) : '',
  ]);
  return renderTable(['', 'service', 'state', 'url', 'ready in'], rows);
}
