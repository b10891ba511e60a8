import { resolveEnv } from '../env/resolve.js';
import { errorText, isTmError } from '../errors.js';
import { optionalDatabase } from '../stack/database.js';
import type { Check, DoctorContext, Finding } from './types.js';

export interface DoctorOptions {
  /** Each check's own time limit: one hung probe cannot hang the doctor. */
  checkTimeoutMs?: number;
  fix?: boolean;
}

type Base = Omit<DoctorContext, 'projectEnv' | 'database' | 'attemptMs'>;
type Reads = Pick<DoctorContext, 'projectEnv' | 'database' | 'attemptMs'>;

/** What several checks read, read once for a config (a re-check after a repair reads again). */
function sharedReads(base: Base, limitMs: number): Reads {
  const once = <T>(read: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= read());
  };
  return {
    projectEnv: once(() => resolveEnv(base.config!.root, base.config!.env, base.env)),
    database: once(() => optionalDatabase(base.config!, base.env)),
    // A loaded machine answers slowly: an attempt may take what the check may, not a fixed 1.5 s.
    // At least 1.5 s (30% of a longer limit) stays for saying why it failed.
    attemptMs: Math.max(500, limitMs - Math.max(1500, Math.round(limitMs * 0.3))),
  };
}

/** Runs every check concurrently, each bounded by its timeout; findings keep the checks' order. */
export async function runChecks(checks: Check[], base: Base, opts: DoctorOptions = {}): Promise<Finding[]> {
  const limit = opts.checkTimeoutMs ?? 5000;
  const reads = sharedReads(base, limit);
  const results = await Promise.all(
    checks.map(async (check): Promise<Finding[]> => {
      if (check.needsConfig && !base.config) return [{ id: check.id, title: check.title, status: 'skip', detail: 'not checked: taskmaster.yml does not load' }];
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CutOff(limit)), limit);
      });
      try {
        return await Promise.race([diagnose(check, { ...base, ...reads }, Boolean(opts.fix)), timeout]);
      } catch (err) {
        if (err instanceof CutOff) return [{ id: check.id, title: check.title, status: 'fail', detail: err.message, fix: cutOffFix(check, base, limit) }];
        if (isTmError(err))
          return [{ id: check.id, title: check.title, status: 'fail', detail: err.message, fix: err.hint ?? 'TM_DEBUG=1 tm doctor shows where it failed' }];
        return [
          {
            id: check.id,
            title: check.title,
            status: 'fail',
            detail: errorText(err),
            fix: 'TM_DEBUG=1 tm doctor shows where it failed; this is likely a bug in tm, please report it',
          },
        ];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return results.flat();
}

/**
 * One check, and with --fix its repairs, each counted only when the check passes afterwards:
 * then the findings are the re-check's, a repaired problem in the place of its subject's.
 */
async function diagnose(check: Check, base: Base & Reads, fix: boolean): Promise<Finding[]> {
  const run = async (ctx: Base & Reads) => {
    const out = await check.run(ctx);
    return (Array.isArray(out) ? out : [out]).map((f): Finding => ({ id: check.id, title: check.title, ...f }));
  };
  const findings = await run(base);
  if (!fix || !check.fix) return findings;
  const repairs = new Map<Finding, string>();
  for (const f of findings.filter(isProblem)) {
    const done = await check.fix(base, f).catch((err: unknown) => `could not fix: ${errorText(err)}`);
    if (done) repairs.set(f, done);
  }
  if (repairs.size === 0) return findings;
  // Check again, with the config as the repair left it.
  const config = base.reloadConfig ? await base.reloadConfig().catch(() => base.config) : base.config;
  const after = await run({ ...base, config, ...sharedReads({ ...base, config }, base.attemptMs + 500) });
  const attempted = new Map<string | undefined, string>();
  let fixed: Finding[] = [];
  for (const [f, done] of repairs) {
    if (done.startsWith('could not') || after.some((a) => isProblem(a) && a.subject === f.subject)) attempted.set(f.subject, done);
    else fixed.push({ ...f, fixed: done });
  }
  const out: Finding[] = [];
  for (const a of after) {
    if (isProblem(a)) {
      out.push(attempted.has(a.subject) ? { ...a, attempted: attempted.get(a.subject) } : a);
      continue;
    }
    // The repaired problem stands where the re-check says its subject is fine (or the whole check is).
    const mine = fixed.filter((f) => a.subject === undefined || f.subject === a.subject);
    if (mine.length === 0) out.push(a);
    out.push(...mine);
    fixed = fixed.filter((f) => !mine.includes(f));
  }
  return [...out, ...fixed];
}

const isProblem = (f: Finding) => f.status === 'warn' || f.status === 'fail';

class CutOff extends Error {
  constructor(limit: number) {
    super(`did not finish within ${limit} ms (cut off)`);
  }
}

function cutOffFix(check: Check, base: Base, limit: number): string {
  const longer = `tm doctor --check-timeout ${Math.max(10, Math.ceil((limit * 4) / 1000))}s gives it longer`;
  const ports = (base.config?.services ?? []).flatMap((s) => (s.port === undefined ? [] : [s.port]));
  if (check.hangsOn === 'services' && ports.length > 0) {
    return `something accepts connections but does not answer: see what holds port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} (ss -ltnp), or ${longer}`;
  }
  return longer;
}

export function summarize(findings: Finding[]): { problems: number; warnings: number; fixed: number } {
  return {
    problems: findings.filter((f) => f.status === 'fail' && !f.fixed).length,
    warnings: findings.filter((f) => f.status === 'warn' && !f.fixed).length,
    fixed: findings.filter((f) => f.fixed).length,
  };
}
