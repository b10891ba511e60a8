import { parse } from 'pg-connection-string';
import type { ClientConfig } from 'pg';
import { MASK } from '../env/mask.js';
import { isLoopbackAddress } from '../config/listen.js';
import { EXIT, TmError, errorText } from '../errors.js';

/** A database URL as pg reads it, plus the parts tm acts on. */
export interface Connection {
  /** What pg.Client gets: the URL's settings, without the parameters that are tm's (schema). */
  config: ClientConfig;
  /** The host pg connects to: the URL's (or its ?host=), else PGHOST, else localhost. */
  host: string;
  /** The database the URL names, if any. */
  database?: string;
  /** Prisma's `?schema=`: the schema tables and migration history go into. */
  schema?: string;
  /** Things worth one line of warning (pg's own warning is a paragraph on stderr). */
  notes: string[];
}

/**
 * Parses a URL with pg's own parser (pg-connection-string), so tm decides about the same
 * host, database and options pg will use. A URL pg cannot read is a config error naming
 * where it came from, never a crash, and never with its password.
 */
export function parseConnection(url: string, source: string, env: NodeJS.ProcessEnv = process.env): Connection {
  let parsed: ReturnType<typeof parse>;
  try {
    // pg reads anything as a path below postgres://base (`notaurl` would be the host "base"):
    // only a postgres:// URL, a socket: URL or a socket directory is a database address.
    if (!/^(postgres(ql)?|socket):/i.test(url) && !url.startsWith('/')) throw new Error('expected a postgres:// URL');
    parsed = quietly(() => parse(url));
    const port = parsed.port;
    if (port !== undefined && port !== null && port !== '' && !/^\d+$/.test(port)) throw new Error(`invalid port "${port}"`);
  } catch (err) {
    throw invalidUrl(url, source, err);
  }
  const { schema, ...rest } = parsed;
  // Not pg-connection-string's toClientConfig: it drops a string `ssl` such as `?ssl=no-verify`,
  // which pg, given the same URL, turns into TLS without certificate checks; and it reads
  // `?port=12x` as 12. pg reads a URL with parse() alone, as here.
  const config: ClientConfig = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined || value === null || value === '') continue;
    (config as Record<string, unknown>)[key] = key === 'port' ? Number(value) : value;
  }
  const notes: string[] = [];
  const sslmode = typeof parsed.sslmode === 'string' ? parsed.sslmode : undefined;
  if (sslmode && ['prefer', 'require', 'verify-ca'].includes(sslmode) && parsed.uselibpqcompat !== 'true') {
    notes.push(`sslmode=${sslmode} in ${source}: pg verifies the server certificate as with sslmode=verify-full (add uselibpqcompat=true for libpq's meaning)`);
  }
  return {
    config,
    host: parsed.host || env.PGHOST || 'localhost',
    database: parsed.database ?? undefined,
    schema: typeof schema === 'string' && schema !== '' ? schema : undefined,
    notes,
  };
}

/**
 * A host spelled as this machine: `localhost`, a loopback address, or a unix socket directory.
 * By spelling only, for hints; what may be dropped is decided by isOnThisMachine (resolved).
 */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.startsWith('/') || isLoopbackAddress(h);
}

export function invalidUrl(url: string, source: string, err: unknown): TmError {
  return new TmError('TM_DB_URL', `the database URL from ${source} cannot be read: ${errorText(err)} (${maskUnreadableUrl(url)})`, {
    exit: EXIT.config,
    hint: `fix ${source.split(' ')[0]}: postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password)`,
    cause: err,
  });
}

/**
 * One URL that did not parse, masked from the first `:` after the user to its last `@`. Text
 * masking (maskUrlPasswords) stops at a `/`, `?` or `#`, as URL syntax does; an unencoded one
 * in the password is a common reason a URL does not parse (postgres://u:pa/ss@host/db).
 */
function maskUnreadableUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url);
  if (!m) return MASK;
  const rest = m[2]!;
  const at = rest.lastIndexOf('@');
  if (at < 0) return url;
  const credentials = rest.slice(0, at);
  const colon = credentials.indexOf(':');
  return `${m[1]}${colon < 0 ? credentials : `${credentials.slice(0, colon)}:${MASK}`}${rest.slice(at)}`;
}

/** pg-connection-string prints a paragraph-long SECURITY WARNING for some sslmodes; tm says it in one line. */
function quietly<T>(work: () => T): T {
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).startsWith('SECURITY WARNING')) return;
    (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return work();
  } finally {
    process.emitWarning = original;
  }
}
