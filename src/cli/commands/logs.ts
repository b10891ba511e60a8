import { EXIT, TmError } from '../../errors.js';
import { pickServices } from '../../config/services.js';
import { runtimeFor } from '../../stack/select.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const config = await ctx.config();
  const { runtime } = await runtimeFor(config, opts.runtime as string | undefined, 'running');
  const tail = Number(opts.tail);
  if (!Number.isInteger(tail) || tail < 0) {
    throw new TmError('TM_USAGE', `--tail: "${String(opts.tail)}" is not a number of lines`, { exit: EXIT.usage, hint: 'e.g. --tail 50' });
  }
  const services = pickServices(config, args);
  const prefix = (name: string, line: string) => (services.length > 1 ? `${name} | ${line}` : line);
  const lines: string[] = [];
  for (const svc of services) for (const line of await runtime.tailLogs(svc, tail)) lines.push(prefix(svc.name, line));
  if (!opts.follow || ctx.out.json) {
    ctx.out.result({ lines }, () => lines.join('\n'));
    return;
  }
  for (const line of lines) ctx.out.stream(line);
  await runtime.followLogs(services, (name, line) => ctx.out.stream(prefix(name, line)), ctx.signal);
}
