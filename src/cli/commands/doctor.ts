import type { Config } from '../../config/load.js';
import { checks } from '../../doctor/checks.js';
import { runChecks, summarize } from '../../doctor/run.js';
import type { Finding } from '../../doctor/types.js';
import { EXIT, TmError, isTmError } from '../../errors.js';
import { selectRuntime } from '../../stack/select.js';
import type { Context } from '../context.js';
import { provideBinaries } from '../native-setup.js';
import type { Duration } from '../options.js';
import { confirm } from '../prompt.js';

/** The options of `tm doctor`. */
export type DoctorFlags = { fix?: boolean; strict?: boolean; checkTimeout: Duration };

export async function run(ctx: Context, opts: DoctorFlags): Promise<void> {
  let config: Config | undefined;
  let configError: TmError | undefined;
  try {
    config = await ctx.config();
  } catch (err) {
    if (!isTmError(err)) throw err;
    configError = err;
  }
  // Missing binaries are installed first (asking on their own, naming the commands), so the checks see them.
  if (opts.fix && config) await installMissing(ctx, config);
  const fix =
    Boolean(opts.fix) && (!ctx.out.interactive || (await confirm(ctx, 'Apply the safe fixes (.env keys, stale PID files, clashing ports in taskmaster.yml)?')));
  const findings = await ctx.out.step('checking', () =>
    runChecks(
      checks,
      { cwd: ctx.cwd, config, configError, env: process.env, reloadConfig: () => ctx.reloadConfig() },
      { checkTimeoutMs: opts.checkTimeout.ms, fix },
    ),
  );
  const summary = summarize(findings);
  ctx.out.result({ status: summary.problems ? 'fail' : summary.warnings ? 'warn' : 'ok', ...summary, findings }, () =>
    render(ctx, findings, summary, ctx.globals.verbose),
  );
  if (summary.problems > 0 || (opts.strict && summary.warnings > 0)) {
    throw new TmError(
      'TM_DOCTOR_PROBLEMS',
      `${summary.problems} problem${summary.problems === 1 ? '' : 's'}, ${summary.warnings} warning${summary.warnings === 1 ? '' : 's'}`,
      {
        exit: EXIT.problems,
        hint: fix ? 'what is left needs a hand: follow the → lines' : 'tm doctor --fix repairs the safe ones',
      },
    );
  }
}

/** The native runtime's missing binaries; a refusal or failure is shown, and the checks report what is still missing. */
async function installMissing(ctx: Context, config: Config): Promise<void> {
  const { runtime } = await selectRuntime(config, undefined).catch(() => ({ runtime: undefined }));
  if (runtime?.name !== 'native') return;
  try {
    await provideBinaries(ctx, config, config.services, { rerun: 'tm doctor --fix --yes', optional: true });
  } catch (err) {
    if (!isTmError(err)) throw err;
    ctx.out.warn(`${err.message}${err.hint ? ` (${err.hint})` : ''}`);
  }
}

function render(ctx: Context, findings: Finding[], s: ReturnType<typeof summarize>, verbose: boolean): string {
  const { c } = ctx.out;
  const mark = { ok: c.green('[✓]'), warn: c.yellow('[!]'), fail: c.red('[✗]'), skip: c.dim('[-]') };
  const lines: string[] = [];
  for (const f of findings) {
    if (f.fixed) {
      lines.push(`${c.green('[✓]')} ${f.title}: ${c.dim('fixed:')} ${f.fixed}`);
      continue;
    }
    const detail = !verbose && f.status === 'ok' && f.detail.length > 110 ? `${f.detail.slice(0, 107)}...` : f.detail;
    lines.push(`${mark[f.status]} ${f.title}: ${detail}`);
    if (f.attempted) lines.push(`    ${c.dim('--fix:')} ${f.attempted}${f.attempted.startsWith('could not') ? '' : ', but the problem is still there'}`);
    if ((f.status === 'warn' || f.status === 'fail') && f.fix) lines.push(`    ${c.cyan('→')} ${f.fix}`);
  }
  const parts = [`${s.problems} problem${s.problems === 1 ? '' : 's'}`, `${s.warnings} warning${s.warnings === 1 ? '' : 's'}`];
  if (s.fixed) parts.push(`${s.fixed} fixed`);
  lines.push('', s.problems + s.warnings === 0 ? c.green(`No problems found${s.fixed ? ` (${s.fixed} fixed)` : ''}.`) : parts.join(', '));
  return lines.join('\n');
}
