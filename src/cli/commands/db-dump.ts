import type { RuntimeName } from '../../config/runtime-name.js';
import { dumpDatabase, serviceOfTarget } from '../../stack/db-file.js';
import { selectRuntime } from '../../stack/select.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget, formatBytes } from './db-common.js';

/** The options of `tm db dump`. */
export type DumpFlags = DbFlags & { runtime?: RuntimeName };

export async function run(ctx: Context, opts: DumpFlags, args: string[]): Promise<void> {
  const config = await ctx.config();
  const target = await dbTarget(ctx, opts);
  const svc = serviceOfTarget(config, target);
  const { runtime } = await selectRuntime(config, opts.runtime);
  const [file] = args;
  const toStdout = file === undefined || file === '-';
  const result = await ctx.out.step(
    `dumping ${svc.name} ${toStdout ? 'to stdout' : `to ${file}`}`,
    (progress) => dumpDatabase(runtime, svc, target, file, { stdout: process.stdout, onBytes: (n) => progress(formatBytes(n)) }),
    (r) => `dumped ${svc.name}: ${formatBytes(r.bytes)}${toStdout ? '' : ` in ${r.file}`}`,
  );
  // The dump itself is stdout's content: no result document beside it.
  if (!toStdout) ctx.out.result(result, () => '');
}
