import { EXIT, TmError } from '../../errors.js';
import { checkHealth, type HealthReport } from '../../health/check.js';
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
  if (opts.wait) {
    throw new TmError('TM_HEALTH_TIMEOUT', `${name} not ready after ${timeout?.text ?? '30s'}: ${check.error}`, {
      exit: EXIT.timeout,
      hint: `is it running? tm logs ${name}`,
    });
  }
  throw new TmError('TM_HEALTH_FAILED', `${failed.map(([n]) => n).join(', ')} not healthy: ${check.error}`, {
    exit: EXIT.problems,
    hint: 'tm health --wait waits for services that are still starting',
  });
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
