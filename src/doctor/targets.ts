import type { Config } from '../config/load.js';
import { isLocalHost } from '../db/url.js';
import type { EnvState } from '../env/resolve.js';
import { isTmError } from '../errors.js';
import { isAuthFailure } from '../health/probes.js';
import { kindOf } from '../catalog/index.js';
import { defaultPort } from '../config/services.js';

/** The exact fix for a database that did not answer, by why it did not; `source` is the target's. */
export function databaseFix(source: string, err: unknown): string {
  const cause = isTmError(err) ? err.cause : err;
  const own = source.startsWith('services.');
  const service = own ? source.split(' ')[0]! : undefined;
  const variable = source.split(' ')[0]!;
  if (isAuthFailure(cause)) {
    return own
      ? `the server refuses ${service}.user/password: they differ from those its data was created with; ` +
          `put them back in taskmaster.yml, or tm down --volumes && tm up to start over (deletes the data)`
      : `the server refuses the user/password in ${variable}: fix them in .env (or .env.local, or the environment)`;
  }
  if ((cause as { code?: string } | undefined)?.code === '3D000') {
    return own ? 'tm db reset creates the database (and migrates, seeds)' : `create the database named in ${variable}, or fix ${variable}`;
  }
  return own
    ? `tm up (or tm logs ${service!.replace(/^services\./, '')} if it is running)`
    : `start the server ${variable} points at, or fix ${variable} in .env`;
}

export interface StaleUrl {
  service: string;
  key: string;
  /** `.env:3`, or "the environment". */
  where: string;
  port: number;
  expected: number;
  /** The other stack of this machine (its folder) whose service has that port. */
  stack?: string;
}

/** Another stack of this machine: its folder and its host ports, per service and key. */
export interface OtherStack {
  path: string;
  ports: Record<string, Record<string, number>>;
}

/**
 * URL variables that point at this machine with the scheme of a service of the project but at a
 * port none of those services uses: typically left behind when a service's port moved, or
 * written by hand (or copied from another worktree) with another stack's port.
 */
export function staleServiceUrls(config: Config, state: EnvState, others: OtherStack[] = []): StaleUrl[] {
  const out: StaleUrl[] = [];
  for (const v of state.vars.values()) {
    if (!v.value || !/^[a-z]+:\/\//i.test(v.value)) continue;
    let url: URL;
    try {
      url = new URL(v.value);
    } catch {
      continue;
    }
    // The project's services of the kinds this scheme means (postgres:, amqp:...).
    const services = config.services.filter((s) => s.port !== undefined && kindOf(s).schemes?.[url.protocol] !== undefined);
    if (services.length > 0) {
      // 0.0.0.0 as a client's address reaches this machine too.
      const local = isLocalHost(url.hostname) || url.hostname === '0.0.0.0' || services.some((s) => s.host === url.hostname);
      const port = Number(url.port || defaultPort(url.protocol));
      if (!local || services.some((s) => s.port === port)) continue;
      out.push({
        service: services[0]!.name,
        key: v.key,
        where: v.source === 'file' ? `${v.file}:${v.line}` : 'the environment',
        port,
        expected: services[0]!.port!,
        stack: others.find((o) => Object.values(o.ports).some((keys) => Object.values(keys).includes(port)))?.path,
      });
    }
  }
  return out;
}
