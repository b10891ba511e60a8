import type { Config } from '../config/load.js';
import type { DatabaseTarget } from '../db/connect.js';
import { resolveEnv } from '../env/resolve.js';
import { isTmError } from '../errors.js';

/** The database `tm db` would talk to (DIRECT_URL, DATABASE_URL, then services.postgres), or none. */
export async function doctorDatabase(config: Config, env: NodeJS.ProcessEnv): Promise<DatabaseTarget | undefined> {
  const { resolveDatabase } = await import('../db/connect.js');
  return resolveDatabase(config, undefined, env).catch((err: unknown) => {
    if (isTmError(err) && err.code === 'TM_NO_DATABASE') return undefined;
    throw err;
  });
}

/** The exact fix for a database that did not answer, by why it did not. */
export function databaseFix(target: DatabaseTarget, err: unknown): string {
  const cause = (isTmError(err) ? err.cause : err) as { code?: string; message?: string } | undefined;
  const own = target.source.startsWith('services.');
  const service = own ? target.source.split(' ')[0]! : undefined;
  const variable = target.source.split(' ')[0]!;
  switch (cause?.code) {
    case '28P01':
    case '28000':
      return own
        ? `the server refuses ${service}.user/password: they differ from those its data was created with; put them back in taskmaster.yml, or tm down --volumes && tm up to start over (deletes the data)`
        : `the server refuses the user/password in ${variable}: fix them in .env (or .env.local, or the environment)`;
    case '3D000':
      return own ? 'tm db reset creates the database (and migrates, seeds)' : `create the database named in ${variable}, or fix ${variable}`;
  }
  return own ? `tm up (or tm logs ${service!.replace(/^services\./, '')} if it is running)` : `start the server ${variable} points at, or fix ${variable} in .env`;
}

export interface StaleUrl {
  service: string;
  key: string;
  /** `.env:3`, or "the environment". */
  where: string;
  port: number;
  expected: number;
}

const SCHEMES: Record<string, { protocols: string[]; defaultPort: number }> = {
  postgres: { protocols: ['postgres:', 'postgresql:'], defaultPort: 5432 },
  redis: { protocols: ['redis:', 'rediss:'], defaultPort: 6379 },
};
const LOCAL = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0']);

/**
 * URL variables that point at this machine with the scheme of a service of the project but at a
 * port none of those services uses: typically left behind when a service's port moved.
 */
export async function staleServiceUrls(config: Config, env: NodeJS.ProcessEnv): Promise<StaleUrl[]> {
  const state = await resolveEnv(config.root, config.env, env);
  const out: StaleUrl[] = [];
  for (const v of state.vars.values()) {
    if (!v.value || !/^[a-z]+:\/\//i.test(v.value)) continue;
    let url: URL;
    try {
      url = new URL(v.value);
    } catch {
      continue;
    }
    for (const [kind, scheme] of Object.entries(SCHEMES)) {
      if (!scheme.protocols.includes(url.protocol)) continue;
      const services = config.services.filter((s) => s.kind === kind && s.port !== undefined);
      if (services.length === 0) continue;
      const local = LOCAL.has(url.hostname) || services.some((s) => s.host === url.hostname);
      const port = Number(url.port || scheme.defaultPort);
      if (!local || services.some((s) => s.port === port)) continue;
      out.push({ service: services[0]!.name, key: v.key, where: v.source === 'file' ? `${v.file}:${v.line}` : 'the environment', port, expected: services[0]!.port! });
    }
  }
  return out;
}
