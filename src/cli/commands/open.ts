import { webUrl } from '../../config/clients.js';
import { pickServices } from '../../config/services.js';
import { EXIT, TmError } from '../../errors.js';
import { openUrl } from '../../stack/open-url.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, _opts: object, args: string[]): Promise<void> {
  const config = await ctx.config();
  const web = config.services.flatMap((svc) => {
    const url = webUrl(svc);
    return url ? [{ service: svc.name, url }] : [];
  });
  const listed = web.map((w) => w.service).join(', ') || 'none: give an app a port';
  const [name] = args;
  const chosen = name ? web.find((w) => w.service === pickServices(config, [name])[0]!.name) : web[0];
  if (!chosen) {
    throw new TmError('TM_NO_WEB_URL', name ? `${name} has no web page to open` : `${config.name} has no service with a web page`, {
      exit: EXIT.usage,
      hint: `services with one: ${listed}`,
    });
  }
  const opened = await openUrl(chosen.url);
  if (!opened.opened) ctx.out.debug(`not opened: ${opened.why}`);
  ctx.out.result({ ...chosen, ...opened, urls: web }, () => chosen.url);
}
