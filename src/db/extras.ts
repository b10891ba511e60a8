import type { Client } from 'pg';
import type { PostgresService } from '../config/schema.js';
import { serviceUrl } from '../config/services.js';
import { EXIT, TmError, errorText } from '../errors.js';
import { type DatabaseTarget, withClient } from './connect.js';

// What a Postgres service of taskmaster.yml asks of its server beyond a user and a database:
// its extensions and extra databases, made on every `tm up` (once there, a few catalog reads
// find nothing to do), and its settings, compared with what the running server has.

export interface ExtrasResult {
  /** Extensions this run created. */
  extensions: string[];
  /** Databases this run created. */
  databases: string[];
  /** Settings the running server does not have as configured: a restart applies them. */
  stale: { name: string; configured: string; running: string }[];
}

/** Whether a service asks for anything here (none: no connection is made). */
export function hasExtras(svc: PostgresService): boolean {
  return svc.extensions.length > 0 || svc.databases.length > 0 || Object.keys(svc.settings).length > 0;
}

/**
 * Where the server runs: local binaries, tm's container, or a database someone else started
 * (`tm ci --external`: a CI service container of the service's image, reached at `target`).
 */
export type ExtrasWhere = 'native' | 'docker' | { external: DatabaseTarget };

/**
 * Creates the service's missing extra databases and extensions (in the app database), as the
 * app user, which tm makes a superuser on the servers it starts (so it owns the databases),
 * and reports the settings the server runs without. An extension the server does not have at
 * all is refused before anything is created, with what to install there (packages or an image).
 */
export async function ensureExtras(svc: PostgresService, where: ExtrasWhere): Promise<ExtrasResult> {
  const target = typeof where === 'object' ? where.external : { url: serviceUrl(svc, true)!, source: `services.${svc.name}` };
  return withClient(target, where === 'native' || where === 'docker' ? 'up' : 'ci', async (client) => {
    const databases = await createDatabases(client, svc);
    const extensions = await createExtensions(client, svc, where);
    // A CI service container takes no settings: only the servers tm starts are compared.
    return { extensions, databases, stale: typeof where === 'object' ? [] : await staleSettings(client, svc.settings) };
  });
}

async function createDatabases(client: Client, svc: PostgresService): Promise<string[]> {
  if (svc.databases.length === 0) return [];
  const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [svc.databases]);
  const missing = svc.databases.filter((d) => !rows.some((r) => r.datname === d));
  for (const d of missing) {
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(d)}`);
    } catch (err) {
      // Another tm up of this stack made it in between.
      if ((err as { code?: string }).code === '42P04') continue;
      throw new TmError('TM_PG_DATABASE_FAILED', `cannot create database ${d} (services.${svc.name}.databases): ${errorText(err)}`, {
        exit: EXIT.runtime,
        hint: `the app user needs CREATEDB (tm makes it a superuser on the servers it starts), or create ${d} yourself`,
        cause: err,
      });
    }
  }
  return missing;
}

async function createExtensions(client: Client, svc: PostgresService, where: ExtrasWhere): Promise<string[]> {
  if (svc.extensions.length === 0) return [];
  const { rows } = await client.query<{ name: string; installed: string | null }>(
    'SELECT name, installed_version AS installed FROM pg_available_extensions WHERE name = ANY($1)',
    [svc.extensions],
  );
  const absent = svc.extensions.filter((e) => !rows.some((r) => r.name === e));
  if (absent.length > 0) {
    const major = Number((await client.query<{ major: number }>(`SELECT current_setting('server_version_num')::int / 10000 AS major`)).rows[0]!.major);
    throw missingExtensions(svc, absent, major, where);
  }
  const created: string[] = [];
  for (const e of svc.extensions) {
    if (rows.find((r) => r.name === e)?.installed) continue;
    try {
      // CASCADE: what it requires comes along (earthdistance needs cube, postgis_topology postgis).
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${client.escapeIdentifier(e)} CASCADE`);
    } catch (err) {
      const preload = /shared_preload_libraries/.test(errorText(err));
      throw new TmError('TM_PG_EXTENSION_FAILED', `cannot create extension ${e} in ${svc.database} (services.${svc.name}.extensions): ${errorText(err)}`, {
        exit: EXIT.runtime,
        hint: preload
          ? `add it to services.${svc.name}.settings.shared_preload_libraries, then tm restart ${svc.name}`
          : `create it as a superuser (CREATE EXTENSION ${e}), or remove it from services.${svc.name}.extensions`,
        cause: err,
      });
    }
    created.push(e);
  }
  return created;
}

/** Debian's package of an extension that is not in PostgreSQL's own (contrib ships with the server). */
const DEBIAN_PACKAGES: Record<string, (major: number) => string> = {
  postgis: (m) => `postgresql-${m}-postgis-3`,
  postgis_topology: (m) => `postgresql-${m}-postgis-3`,
  postgis_raster: (m) => `postgresql-${m}-postgis-3`,
  address_standardizer: (m) => `postgresql-${m}-postgis-3`,
  pgrouting: (m) => `postgresql-${m}-pgrouting`,
  vector: (m) => `postgresql-${m}-pgvector`,
  pg_cron: (m) => `postgresql-${m}-cron`,
  pg_partman: (m) => `postgresql-${m}-partman`,
  hypopg: (m) => `postgresql-${m}-hypopg`,
  h3: (m) => `postgresql-${m}-h3`,
  plpython3u: (m) => `postgresql-plpython3-${m}`,
  plperl: (m) => `postgresql-plperl-${m}`,
  plperlu: (m) => `postgresql-plperl-${m}`,
};

/** Images whose PostgreSQL has an extension the official one lacks. */
const IMAGES: Record<string, (major: number) => string> = {
  postgis: (m) => `postgis/postgis:${m}-3.4`,
  postgis_topology: (m) => `postgis/postgis:${m}-3.4`,
  postgis_raster: (m) => `postgis/postgis:${m}-3.4`,
  vector: (m) => `pgvector/pgvector:pg${m}`,
  timescaledb: (m) => `timescale/timescaledb:latest-pg${m}`,
};

export function missingExtensions(svc: PostgresService, absent: string[], major: number, where: ExtrasWhere): TmError {
  const names = absent.join(', ');
  let hint: string;
  if (where === 'native') {
    const packages = [...new Set(absent.map((e) => DEBIAN_PACKAGES[e]?.(major)).filter((p) => p !== undefined))];
    const unknown = absent.filter((e) => !DEBIAN_PACKAGES[e]);
    hint = [
      packages.length > 0
        ? `install ${packages.join(' ')} (apt-get install ${packages.join(' ')}; brew install ${absent.includes('postgis') ? 'postgis' : 'the extension'} on macOS)`
        : '',
      unknown.length > 0 ? `install the package that provides ${unknown.join(', ')} for PostgreSQL ${major} (apt-cache search postgresql-${major})` : '',
    ]
      .filter(Boolean)
      .join('; ');
    hint += `, then tm up again (or remove it from services.${svc.name}.extensions)`;
  } else {
    const images = [...new Set(absent.map((e) => IMAGES[e]?.(major)).filter((i) => i !== undefined))];
    hint =
      images.length === 1
        ? `set services.${svc.name}.image to an image that has it, such as ${images[0]}, then tm up`
        : `set services.${svc.name}.image to an image that has ${absent.length === 1 ? 'it' : 'them'} (or build one FROM ${svc.image} that installs ${absent.length === 1 ? 'it' : 'them'}), then tm up`;
    hint += ` (or remove ${absent.length === 1 ? 'it' : 'them'} from services.${svc.name}.extensions)`;
    // The rendered workflow's service container runs services.<name>.image as well.
    if (typeof where === 'object') hint += '; in CI, the database service must run that image too (tm render github-actions)';
  }
  const server = where === 'native' ? 'local binaries' : where === 'docker' ? `image ${svc.image}` : `the database ${where.external.source} points at`;
  return new TmError(
    'TM_PG_EXTENSION_MISSING',
    `${svc.name}'s PostgreSQL ${major} (${server}) does not have the extension${absent.length === 1 ? '' : 's'} ${names} (services.${svc.name}.extensions)`,
    { exit: EXIT.runtime, hint },
  );
}

interface SettingRow {
  name: string;
  setting: string;
  unit: string | null;
  vartype: string;
}

/** The configured settings the server runs with other values (one it does not know is left to its start to refuse). */
async function staleSettings(client: Client, settings: Record<string, string>): Promise<ExtrasResult['stale']> {
  const names = Object.keys(settings);
  if (names.length === 0) return [];
  const { rows } = await client.query<SettingRow & { shown: string }>(
    'SELECT name, setting, unit, vartype, current_setting(name) AS shown FROM pg_settings WHERE lower(name) = ANY($1)',
    [names.map((n) => n.toLowerCase())],
  );
  const stale: ExtrasResult['stale'] = [];
  for (const name of names) {
    const row = rows.find((r) => r.name === name.toLowerCase());
    if (row && !settingMatches(settings[name]!, row)) stale.push({ name, configured: settings[name]!, running: row.shown });
  }
  return stale;
}

/** Bytes per memory unit and milliseconds per time unit, as PostgreSQL reads them. */
const UNITS: Record<string, number> = {
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** The value of `setting` in its unit (`8kB`, `ms`) as bytes or milliseconds; a number with no unit is in the setting's own unit. */
function measure(value: string, unit: string | null): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!m) return undefined;
  const own = unit ? /^(\d*)\s*([A-Za-z]+)$/.exec(unit) : null;
  const ownFactor = own ? Number(own[1] || 1) * (UNITS[own[2]!] ?? Number.NaN) : 1;
  const factor = m[2] ? UNITS[m[2]] : ownFactor;
  return factor === undefined || Number.isNaN(factor) ? undefined : Number(m[1]) * factor;
}

const TRUE = ['on', 'true', 'yes', '1', 't', 'y'];
const FALSE = ['off', 'false', 'no', '0', 'f', 'n'];

/**
 * Whether a server's setting (a row of pg_settings) has the configured value, as the server
 * would read it: `64MB` is work_mem's 65536 (kB), `yes` is a boolean's `on`, a list
 * (`shared_preload_libraries`) is the same names in the same order.
 */
export function settingMatches(configured: string, row: SettingRow): boolean {
  if (row.vartype === 'bool') {
    const v = configured.trim().toLowerCase();
    return TRUE.includes(v) ? row.setting === 'on' : FALSE.includes(v) ? row.setting === 'off' : false;
  }
  if (row.vartype === 'integer' || row.vartype === 'real') {
    const want = measure(configured, row.unit);
    const have = measure(row.setting, row.unit);
    return want !== undefined && have !== undefined && Math.abs(want - have) <= Math.abs(have) * 1e-9;
  }
  const list = (v: string) =>
    v
      .split(',')
      .map((x) => x.trim().replace(/^"(.*)"$/, '$1'))
      .filter(Boolean)
      .join(',');
  return row.vartype === 'enum' ? configured.trim().toLowerCase() === row.setting.toLowerCase() : list(configured) === list(row.setting);
}
