import { diffEnv } from '../../env/diff.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';

export async function run(ctx: Context): Promise<void> {
  const diff = await diffEnv(await ctx.config());
  ctx.out.result(diff, () => {
    const mark = (b: boolean) => (b ? ctx.out.c.green('✓') : ctx.out.c.red('✗'));
    if (diff.rows.length === 0) return 'no variables in the contract, .env.example or .env';
    return renderTable(
      ['variable', 'contract', '.env.example', '.env'],
      diff.rows.map((r) => [r.key, mark(r.contract), mark(r.example), mark(r.env)]),
    );
  });
  const drift = [
    diff.missing_in_example.length && `not in .env.example: ${diff.missing_in_example.join(', ')}`,
    diff.extra_in_example.length && `in .env.example but not in the contract: ${diff.extra_in_example.join(', ')}`,
    diff.missing_in_env.length && `not in .env: ${diff.missing_in_env.join(', ')}`,
    diff.extra_in_env.length && `in .env only: ${diff.extra_in_env.join(', ')}`,
  ].filter((d): d is string => Boolean(d));
  if (drift.length > 0) {
    throw new TmError('TM_ENV_DRIFT', `the contract, .env.example and .env disagree`, {
      exit: EXIT.problems,
      details: drift,
      hint: [
        diff.missing_in_example.length || diff.extra_in_example.length
          ? 'tm render env-example --out .env.example rewrites .env.example from the contract'
          : '',
        diff.missing_in_env.length ? 'tm env init --merge adds the missing keys to .env' : '',
        diff.extra_in_env.length ? 'declare the keys only in .env in taskmaster.yml env: (or remove them)' : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
}
