import { MASK, maskUrlPasswords } from '../../env/mask.js';
import { resolveEnv } from '../../env/resolve.js';
import { isSecret } from '../../env/secrets.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';

/** The options of `tm env show`. */
export type EnvShowFlags = { reveal?: boolean };

export async function run(ctx: Context, opts: EnvShowFlags): Promise<void> {
  const config = await ctx.config();
  const state = await resolveEnv(config.root, config.env);
  const reveal = Boolean(opts.reveal);
  const vars = [...state.vars.values()].map((v) => {
    const secret = isSecret(v.key, config.env[v.key]);
    const value = v.value === undefined ? undefined : reveal ? v.value : secret && v.value ? MASK : maskUrlPasswords(v.value);
    return { key: v.key, value, source: v.source === 'file' ? `${v.file}:${v.line}` : v.source, secret };
  });
  if (reveal) ctx.out.warn('--reveal: secret values are printed');
  ctx.out.result(
    { variables: vars },
    () =>
      renderTable(
        ['variable', 'value', 'from'],
        vars.map((v) => [v.key, v.value ?? ctx.out.c.dim('(unset)'), v.source]),
      ),
    { reveal },
  );
}
