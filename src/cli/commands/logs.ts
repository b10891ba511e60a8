import type { RuntimeName } from '../../config/runtime-name.js';
import { pickServices } from '../../config/services.js';
import { runtimeFor } from '../../stack/select.js';
import type { Context } from '../context.js';

/** The options of `tm logs`: --tail is a number of lines (checked by program.ts). */
export type LogsFlags = { follow?: boolean; tail: number; runtime?: RuntimeName };

export async function run(ctx: Context, opts: LogsFlags, args: string[]): Promise<void> {
  const config = await ctx.config();
  const { runtime } = await runtimeFor(config, opts.runtime, 'running');
  const { tail } = opts;
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
