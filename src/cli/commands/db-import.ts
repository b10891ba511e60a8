import type { RuntimeName } from '../../config/runtime-name.js';
import { guardReplace } from '../../db/admin/databases.js';
import { EXIT, TmError } from '../../errors.js';
import { importDatabase, importFormat, serviceOfTarget } from '../../stack/db-file.js';
import { selectRuntime } from '../../stack/select.js';
import type { Context } from '../context.js';
import { confirm } from '../prompt.js';
import { type DbFlags, dbTarget, onBranch, formatBytes } from './db-common.js';

/** The options of `tm db import`. */
export type ImportFlags = DbFlags & { force?: boolean; runtime?: RuntimeName };

export async function run(ctx: Context, opts: ImportFlags, args: string[]): Promise<void> {
  const config = await ctx.config();
  const [file] = args;
  const target = await dbTarget(ctx, opts, 'later');
  const force = Boolean(opts.force);
  // Before asking: a question that will be refused anyway is noise.
  await importFormat(file!);
  const db = await guardReplace(target, 'import', force);
  const svc = serviceOfTarget(config, target);
  const { runtime } = await selectRuntime(config, opts.runtime);
  if (!(await confirm(ctx, `Replace database ${db} with the content of ${file}?`))) {
    throw new TmError('TM_ABORTED', 'import cancelled; nothing was changed', { exit: EXIT.usage });
  }
  const result = await ctx.out.step(
    `importing ${file} into ${db}`,
    (progress) => importDatabase(runtime, svc, target, file!, { force, onBytes: (n) => progress(formatBytes(n)) }),
    (r) => `imported ${formatBytes(r.bytes)} into ${db}`,
  );
  await onBranch(ctx, await ctx.config(), target);
  if (result.terminated > 0) ctx.out.warn(`ended ${result.terminated} other connection(s) to ${db}`);
  ctx.out.result(result, () => `${db} replaced with ${file} (${result.format === 'custom' ? 'pg_dump custom format' : 'SQL'})`);
}
