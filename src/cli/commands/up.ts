import { withDependencies } from '../../config/graph.js';
import type { RuntimeName } from '../../config/runtime-name.js';
import { describePorts, portMap, stackSummary } from '../../config/stack.js';
import { claimPorts } from '../../stack/claim.js';
import { planFork } from '../../stack/fork.js';
import { pickServices } from '../../config/services.js';
import { assertEnvValid, createEnvIfMissing } from '../../env/ensure.js';
import { formatProblem } from '../../errors.js';
import { bringUp, type RunStage } from '../../stack/bring-up.js';
import { runtimeFor } from '../../stack/select.js';
import type { UpResult } from '../../stack/up.js';
import { formatDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { prepareNative } from '../native-setup.js';
import type { Duration } from '../options.js';
import { renderTable } from '../table.js';

/** The options of `tm up`. */
export type UpFlags = {
  timeout: Duration;
  migrate: boolean;
  seed: boolean;
  runtime?: RuntimeName;
  /** auto | fixed */
  ports?: 'auto' | 'fixed';
  /** A stack of the project to copy the data from, or `none`. */
  from?: string;
};

export async function run(ctx: Context, opts: UpFlags, args: string[]): Promise<void> {
  // Warnings about unset ${VAR}s wait until .env exists: the first tm up creates it.
  // The stack's ports come first: .env is written with them.
  const claimed = await claimPorts(await ctx.config({ quiet: true }), {
    runtime: opts.runtime,
    ports: opts.ports,
    reload: () => ctx.reloadConfig({ quiet: true }),
  });
  let { config } = claimed;
  const { claim } = claimed;
  if (claim?.changed && claim.mode === 'allocated')
    ctx.out.info(`ports of this stack: ${describePorts(portMap(config.services))} (${claim.reason ?? 'its own block'})`);
  const created = await createEnvIfMissing(config);
  if (created) {
    ctx.out.info(`created .env from the env contract (${created.written.length} keys; secrets generated)`);
    for (const w of created.warnings) ctx.out.warn(`.env ${w.path}: ${w.message}`);
    config = await ctx.reloadConfig();
  } else for (const w of config.warnings) ctx.out.warn(formatProblem(w));
  await assertEnvValid(config);
  const services = pickServices(config, args);
  const { runtime, reason, warning } = await runtimeFor(config, opts.runtime, 'start');
  ctx.out.debug(`runtime: ${runtime.name} (${reason})`);
  if (warning) ctx.out.warn(warning);
  // A new stack's data source is checked (running) before anything of this one starts.
  const fork = claim ? await planFork(config, claim, opts.from, { cwd: ctx.cwd }) : {};
  if (fork.note) ctx.out.warn(fork.note);
  await prepareNative(ctx, config, runtime, withDependencies(config.services, services));
  const result = await bringUp(config, runtime, services, {
    timeoutMs: opts.timeout.ms,
    signal: ctx.signal,
    onProgress: (m) => ctx.out.info(m),
    onWarning: (m) => ctx.out.warn(m),
    migrate: opts.migrate,
    seed: opts.seed,
    fork: fork.source,
    runStage: showStages(ctx),
  });
  const { migrations, seeds } = result;
  const stack = stackSummary(config, { first: claim?.first, reason: claim?.reason });
  ctx.out.result(
    { ...result, stack },
    () =>
      renderUp(ctx, result) +
      (stack.mode === 'allocated'
        ? `\n\nports of this stack: ${describePorts(portMap(config.services))}${stack.first ? ` (taskmaster.yml's belong to ${stack.first})` : ''}`
        : '') +
      (result.fork ? `\ndata copied from ${result.fork.from}` : '') +
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
