import { seed, seedEnv } from '../../db/seeds/seed.js';
import { formatDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db seed`. */
export type SeedFlags = DbFlags & { env?: string; reset?: boolean };

export async function run(ctx: Context, opts: SeedFlags): Promise<void> {
  const env = seedEnv(opts.env);
  const result = await seed(await ctx.config(), await dbTarget(ctx, opts), {
    env,
    reset: Boolean(opts.reset),
    signal: ctx.signal,
    onFile: (path, ms) => ctx.out.info(`${ctx.out.ce.green('✓')} ${path} ${ctx.out.ce.dim(`(${formatDuration(ms)})`)}`),
  });
  ctx.out.result(result, () => `seeds (${env}): ${result.ran.length} ran, ${result.skipped.length} unchanged`);
}
