import { appendFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { runCi, type CiEvent } from '../../ci/run.js';
import { seedEnv } from '../../db/seeds/seed.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import type { Duration } from '../options.js';

/** The options of `tm ci`. */
export type CiFlags = { external?: boolean; env: string; timeout: Duration; ports?: 'auto' | 'fixed'; strict?: boolean };

// GitHub Actions workflow commands (::group::, ::error::, ::add-mask::) go to stderr: the runner
// reads them from both streams, so stdout stays the result (pure NDJSON with --json) and the
// commands stay in order with the progress lines they wrap.
export async function run(ctx: Context, opts: CiFlags): Promise<void> {
  const github = process.env.GITHUB_ACTIONS === 'true';
  const { out } = ctx;
  // Paths as GitHub resolves them: relative to the checkout (GITHUB_WORKSPACE), else to where tm was started.
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const shown = (file: string | undefined) => (file && !file.startsWith('(') ? relative(workspace, file) || file : file);

  // GitHub hides values registered with ::add-mask:: in every later log line; register each
  // secret once, as soon as it is known (service passwords, .env values, generated secrets).
  const masked = new Set<string>();
  const mask = () => {
    if (!github) return;
    for (const line of out.secretValues().flatMap(addMaskCommands)) {
      if (masked.has(line)) continue;
      masked.add(line);
      out.command(line, { redact: false });
    }
  };
  const annotate = (e: Extract<CiEvent, { type: 'problem' }>) => {
    const file = shown(e.file);
    const props = [
      file && !file.startsWith('(') && `file=${escapeProperty(file)}`,
      e.line && `line=${e.line}`,
      e.column && `col=${e.column}`,
      `title=${escapeProperty(e.code)}`,
    ]
      .filter(Boolean)
      .join(',');
    out.command(`::error ${props}::${escapeData([e.message + (e.hint ? ` (${e.hint})` : ''), ...(e.details ?? [])].join('\n'))}`);
  };
  const emit = (e: CiEvent) => {
    if (e.type === 'problem' && github) annotate(e);
    if (out.json) return out.stream(JSON.stringify({ ...e, ...(e.type === 'problem' ? { file: shown(e.file) } : {}), at: new Date().toISOString() }));
    if (e.type === 'step-start') {
      if (github) out.command(`::group::tm ci: ${e.step}`);
      return out.info(`… ${e.step}`);
    }
    if (e.type === 'problem') {
      out.info(`  ${[shown(e.file), e.line, e.column].filter((x) => x !== undefined).join(':')}${e.file ? ' ' : ''}${e.message}`);
      for (const d of e.details ?? []) out.info(`    ${d}`);
      return;
    }
    out.info(`${e.status === 'ok' ? out.ce.green('✓') : out.ce.red('✗')} ${e.step} (${e.duration_ms} ms)${e.detail ? `: ${e.detail}` : ''}`);
    if (github) out.command('::endgroup::');
  };
  const result = await runCi({
    loadConfig: async () => {
      const config = await ctx.config();
      mask();
      return config;
    },
    reloadConfig: async () => {
      const config = await ctx.reloadConfig();
      mask();
      return config;
    },
    cwd: ctx.cwd,
    external: Boolean(opts.external),
    ports: opts.ports,
    env: seedEnv(opts.env),
    strict: Boolean(opts.strict),
    timeoutMs: opts.timeout.ms,
    signal: ctx.signal,
    emit,
  });
  if (process.env.GITHUB_STEP_SUMMARY) {
    const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
    const rows = result.steps.map((s) => `| ${s.name} | ${s.status === 'ok' ? '✅ ok' : `❌ failed: ${cell(s.error ?? '')}`} | ${s.duration_ms} ms |`);
    await appendFile(process.env.GITHUB_STEP_SUMMARY, out.redact(`### tm ci\n\n| step | result | duration |\n|---|---|---|\n${rows.join('\n')}\n\n`));
  }
  if (result.exit !== EXIT.ok) {
    const failed = result.steps.at(-1)!.name;
    const hint =
      {
        config: 'fix taskmaster.yml at the lines above',
        env: 'tm env check',
        services: opts.external ? 'check DATABASE_URL / REDIS_URL and the services behind them' : 'tm up',
        apps: 'tm logs shows what the apps printed',
        health: 'tm health',
      }[failed] ?? `tm db ${failed}`;
    throw new TmError('TM_CI_FAILED', `tm ci stopped at the ${failed} step`, { exit: result.exit, hint });
  }
}

/**
 * The `::add-mask::` commands that hide `secret`. The value is escaped (a raw newline would end
 * the command and print the rest of the value as a log line), and since GitHub masks log
 * lines one by one, a multi-line secret (a PEM key) is registered line by line as well.
 */
export function addMaskCommands(secret: string): string[] {
  const lines = secret.includes('\n')
    ? secret
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
    : [];
  return [...new Set([secret, ...lines])].map((value) => `::add-mask::${escapeData(value)}`);
}

/** Workflow-command data: %, CR and LF must be escaped. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Workflow-command property values: also `:` and `,`, which end a property. */
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
