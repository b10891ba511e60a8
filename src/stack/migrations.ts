import type { Config } from '../config/load.js';
import type { DatabaseTarget } from '../db/connect.js';
import { serviceUrl } from './services.js';

/** The database of the project's own Postgres service, which `tm up` migrates. */
export function serviceDatabase(config: Config, only?: string[]): DatabaseTarget | undefined {
  const pg = config.services.find((s) => s.kind === 'postgres' && (!only || only.includes(s.name)));
  return pg && { url: serviceUrl(pg, true)!, source: `services.${pg.name}` };
}
