import { EXIT, TmError } from '../../errors.js';
import { followLogs, readLogs } from '../../stack/logs.js';
import { pickServices } from '../../stack/services.js';
import { selectRuntime } from '../../stack/select.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const config = await ctx.config();
  const { runtime } = await selectRuntime(config, opts.runtime as string | undefined);
  const tail = Number(opts.tail);
  if (!Number.isInteger(tail) || tail < 0) {
    throw new TmError('TM_USAGE', `--tail: "${String(opts.tail)}" is not a number of lines`, { exit: EXIT.usage, hint: 'e.g. --tail 50' });
  }
  const sources = pickServices(config, args)
    .filter((s) => s.kind !== 'app')
    .map((s) => ({ name: s.name, file: runtime.logFile(s) }));
  const lines = await readLogs(sources, tail);
  if (!opts.follow || ctx.out.json) {
    ctx.out.result({ lines }, () => lines.join('\n'));
    return;
  }
  for (const line of lines) ctx.out.stream(line);
  await followLogs(sources, (line) => ctx.out.stream(line), ctx.signal);
}
