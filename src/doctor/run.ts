import { errorText, isTmError } from '../errors.js';
import type { Check, DoctorContext, Finding } from './types.js';

export interface DoctorOptions {
  /** Each check's own time limit: one hung probe cannot hang the doctor. */
  checkTimeoutMs?: number;
  fix?: boolean;
}

/** Runs every check concurrently, each bounded by its timeout; findings keep the checks' order. */
export async function runChecks(checks: Check[], base: Omit<DoctorContext, 'signal'>, opts: DoctorOptions = {}): Promise<Finding[]> {
  const limit = opts.checkTimeoutMs ?? 5000;
  const results = await Promise.all(
    checks.map(async (check): Promise<Finding[]> => {
      if (check.needsConfig && !base.config) return [{ id: check.id, title: check.title, status: 'ok', detail: 'skipped: the config does not load' }];
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`did not finish within ${limit} ms (cut off)`));
        }, limit);
      });
      try {
        const out = await Promise.race([check.run({ ...base, signal: controller.signal }), timeout]);
        const list = Array.isArray(out) ? out : [out];
        const findings = list.map((f) => ({ id: check.id, title: check.title, ...f }));
        if (opts.fix && check.fix) {
          for (const f of findings) {
            if (f.status === 'ok') continue;
            const done = await check.fix({ ...base, signal: controller.signal }, f).catch((err: unknown) => `could not fix: ${errorText(err)}`);
            if (done) f.fixed = done;
          }
        }
        return findings;
      } catch (err) {
        const detail = isTmError(err) ? err.message : errorText(err);
        return [{ id: check.id, title: check.title, status: 'fail', detail, fix: isTmError(err) ? err.hint : undefined }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return results.flat();
}

export function summarize(findings: Finding[]): { problems: number; warnings: number; fixed: number } {
  return {
    problems: findings.filter((f) => f.status === 'fail' && !f.fixed).length,
    warnings: findings.filter((f) => f.status === 'warn' && !f.fixed).length,
    fixed: findings.filter((f) => f.fixed && !f.fixed.startsWith('could not')).length,
  };
}
