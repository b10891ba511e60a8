import { appendFile } from 'node:fs/promises';
import { runCi, type CiEvent } from '../../ci/run.js';
import { seedEnv } from '../../db/seeds.js';
import { EXIT, TmError } from '../../errors.js';
import { parseDuration } from '../../util/duration.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const config = await ctx.config();
  const github = process.env.GITHUB_ACTIONS === 'true';
  const { out } = ctx;
  // GitHub hides values registered with ::add-mask:: in every later log line.
  if (github) for (const secret of out.secretValues()) out.raw(`::add-mask::${secret}`);
  const annotate = (e: Extract<CiEvent, { type: 'problem' }>) => {
    const props = [e.file && `file=${e.file}`, e.line && `line=${e.line}`, e.column && `col=${e.column}`, `title=${e.code}`].filter(Boolean).join(',');
    out.stream(`::error ${props}::${escapeData(e.message + (e.hint ? ` (${e.hint})` : ''))}`);
  };
  const emit = (e: CiEvent) => {
    if (out.json) return out.stream(JSON.stringify({ ...e, at: new Date().toISOString() }));
    if (e.type === 'step-start') return github ? out.stream(`::group::tm ci: ${e.step}`) : out.info(`… ${e.step}`);
    if (e.type === 'problem') {
      out.info(`  ${[e.file, e.line, e.column].filter((x) => x !== undefined).join(':')}${e.file ? ' ' : ''}${e.message}`);
      if (github) annotate(e);
      return;
    }
    out.info(`${e.status === 'ok' ? out.ce.green('✓') : out.ce.red('✗')} ${e.step} (${e.duration_ms} ms)${e.detail ? `: ${e.detail}` : ''}`);
    if (github) out.stream('::endgroup::');
  };
  const result = await runCi(config, {
    external: Boolean(opts.external),
    env: seedEnv((opts.env as string | undefined) ?? 'test'),
    timeoutMs: parseDuration(String(opts.timeout), '--timeout'),
    signal: ctx.signal,
    emit,
  });
  if (process.env.GITHUB_STEP_SUMMARY) {
    const rows = result.steps.map((s) => `| ${s.name} | ${s.status === 'ok' ? '✅ ok' : '❌ failed'} | ${s.duration_ms} ms |`);
    await appendFile(process.env.GITHUB_STEP_SUMMARY, `### tm ci\n\n| step | result | duration |\n|---|---|---|\n${rows.join('\n')}\n\n`);
  }
  if (result.exit !== EXIT.ok) {
    const failed = result.steps.at(-1)!.name;
    throw new TmError('TM_CI_FAILED', `tm ci stopped at the ${failed} step`, { exit: result.exit, hint: failed === 'env' ? 'tm env check' : `tm ci --verbose, or run the step alone (tm ${failed === 'services' ? 'up' : failed === 'health' ? 'health' : `db ${failed}`})` });
  }
}

/** Workflow-command data: %, CR and LF must be escaped. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
