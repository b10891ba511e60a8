import { checkProjectEnv } from '../../env/check.js';
import { EXIT, TmError, formatProblem } from '../../errors.js';
import type { Context } from '../context.js';

export async function run(ctx: Context): Promise<void> {
  const config = await ctx.config();
  const { problems } = await checkProjectEnv(config);
  const errors = problems.filter((p) => p.path !== undefined);
  const warnings = problems.filter((p) => p.path === undefined);
  ctx.out.result({ valid: errors.length === 0, variables: Object.keys(config.env).length, problems: errors, warnings }, () =>
    errors.length === 0 ? `env ok: ${Object.keys(config.env).length} variable(s) match the contract` : '',
  );
  for (const w of warnings) ctx.out.warn(formatProblem(w));
  if (errors.length > 0) {
    throw new TmError(
      'TM_ENV_INVALID',
      `the environment does not match the contract in taskmaster.yml (${errors.length} problem${errors.length > 1 ? 's' : ''})`,
      {
        exit: EXIT.config,
        problems: errors,
        hint: 'tm env init --merge adds missing keys (secrets generated); tm env show lists what is set',
      },
    );
  }
}
