import { detectPrisma, prismaResolve } from '../../db/migrations/prisma.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const config = await ctx.config();
  const prisma = await detectPrisma(config);
  if (!prisma) {
    throw new TmError('TM_NOT_PRISMA', 'tm db resolve is for Prisma migrations, and this project has none', {
      exit: EXIT.usage,
      hint: 'for SQL migrations, tm db repair re-records edited or missing files',
    });
  }
  const applied = opts.applied as string | undefined;
  const rolledBack = opts.rolledBack as string | undefined;
  if (Boolean(applied) === Boolean(rolledBack)) {
    throw new TmError('TM_USAGE', 'give exactly one of --applied NAME or --rolled-back NAME', { exit: EXIT.usage, hint: 'e.g. tm db resolve --rolled-back 20240101120000_init' });
  }
  const message = await prismaResolve(config, prisma, await dbTarget(ctx, opts), applied ? { applied } : { rolledBack: rolledBack! }, { timeoutMs: lockTimeout(opts), signal: ctx.signal });
  ctx.out.result({ resolved: applied ?? rolledBack, as: applied ? 'applied' : 'rolled-back' }, () => message);
}
