import { initEnv } from '../../env/init.js';
import { formatProblem } from '../../errors.js';
import type { Context } from '../context.js';

/** The options of `tm env init`. */
export type EnvInitFlags = { merge?: boolean; force?: boolean };

export async function run(ctx: Context, opts: EnvInitFlags): Promise<void> {
  const result = await initEnv(await ctx.config(), { merge: Boolean(opts.merge), force: Boolean(opts.force) });
  for (const w of result.warnings) ctx.out.warn(formatProblem(w));
  if (result.mode & 0o077) ctx.out.warn(`.env is readable by other users (mode 0${result.mode.toString(8)}): chmod 600 .env`);
  ctx.out.result(result, () => {
    const generated = result.written.filter((w) => w.from === 'generated').map((w) => w.key);
    return [
      `${result.action} .env (${result.written.length} key${result.written.length === 1 ? '' : 's'} written, mode 0${result.mode.toString(8)})`,
      generated.length ? `generated secrets: ${generated.join(', ')}` : '',
      result.backup ? `backup of the previous .env: ${result.backup}` : '',
    ]
      .filter(Boolean)
      .join('\n');
  });
}
