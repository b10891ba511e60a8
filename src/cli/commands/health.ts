import { EXIT, TmError } from '../../errors.js';
import type { Config } from '../../config/load.js';
import { checkHealth, type CheckResult, type HealthReport } from '../../health/check.js';
import { isAuthFailure } from '../../health/probes.js';
import { requireOwnPorts } from '../../stack/claim.js';
import type { Context } from '../context.js';
import type { Duration } from '../options.js';
import { renderTable } from '../table.js';

/** The options of `tm health`: --timeout bounds the wait with --wait, else the one probe. */
export type HealthFlags = { wait?: boolean; timeout?: Duration; attemptTimeout: Duration };

export async function run(ctx: Context, opts: HealthFlags, args: string[]): Promise<void> {
  const config = await ctx.config();
  requireOwnPorts(config, 'tm health');
  const { timeout } = opts;
  const waitMs = opts.wait ? (timeout?.ms ?? 30_000) : 0;
  // Probing once, --timeout bounds that one probe.
  const attempt = opts.attemptTimeout.ms;
  const attemptTimeoutMs = !opts.wait && timeout !== undefined ? Math.min(attempt, timeout.ms) : attempt;
  const unknown = args.filter((a) => !config.services.some((s) => s.name === a));
  if (unknown.length > 0) {
    throw new TmError('TM_USAGE', `no service named ${unknown.join(', ')}`, {
      exit: EXIT.usage,
      hint: `services in ${config.name}: ${config.services.map((s) => s.name).join(', ') || '(none)'}`,
    });
  }
  const work = () => checkHealth(config, { waitMs, attemptTimeoutMs, services: args.length ? args : undefined, signal: ctx.signal });
  const report = opts.wait
    ? await ctx.out.step(
        `waiting for ${args.join(', ') || 'all services'}`,
        work,
        (r) => `health: ${r.status}`,
        (r) => r.status !== 'ok',
      )
    : await work();
  ctx.out.result(report, () => renderHealth(ctx, report));

  const failed = Object.entries(report.checks).filter(([, c]) => c.status !== 'ok');
  if (failed.length === 0) return;
  const [name, check] = failed[0]!;
  const hint = await hintFor(config, failed, Boolean(opts.wait));
  if (opts.wait) {
    throw new TmError('TM_HEALTH_TIMEOUT', `${name} not ready after ${timeout?.text ?? '30s'}: ${check.error}`, { exit: EXIT.timeout, hint });
  }
  throw new TmError('TM_HEALTH_FAILED', `${failed.map(([n]) => n).join(', ')} not healthy: ${check.error}`, { exit: EXIT.problems, hint });
}

/**
 * What to do about the failed checks: waiting does not help a server that refuses the login
 * or services that were never started, so --wait is suggested only for the rest.
 */
async function hintFor(config: Config, failed: [string, CheckResult][], waited: boolean): Promise<string> {
  const refused = failed.find(([, c]) => isAuthFailure(c.cause));
  if (refused)
    return `${refused[0]} refused the configured login: its password or user differs from services.${refused[0]} in taskmaster.yml (tm doctor names both)`;
  // --wait is for services something else is starting right now: they may not look started yet.
  if (waited) return `is it running? tm logs ${failed[0]![0]}`;
  const { notStarted } = await import('../../doctor/not-started.js');
  const services = failed.map(([n]) => config.services.find((s) => s.name === n)).filter((s) => s !== undefined);
  const idle = await Promise.all(services.map((s) => notStarted(config, s).catch(() => false)));
  if (idle.length > 0 && idle.every(Boolean)) return `not started: tm up starts ${services.map((s) => s.name).join(', ')}`;
  return 'tm health --wait waits for services that are still starting';
}

function renderHealth(ctx: Context, report: HealthReport): string {
  const { c } = ctx.out;
  const rows = Object.entries(report.checks).map(([name, check]) => [
    check.status === 'ok' ? c.green('✓') : c.red('✗'),
    name,
    check.target,
    `${check.latency_ms} ms`,
    check.error ? c.red(check.error) : '',
  ]);
  if (rows.length === 0) return 'no services to check';
  return renderTable(['', 'service', 'target', 'latency', 'error'], rows);
}
