import { connect } from 'node:net';
import { refuseSelfConnection } from './self-connect.js';
import { AuthFailure } from './auth-failure.js';
import { withTimeout, type Probe } from './wait-for.js';
import { sendCommands } from './resp.js';

// Each probe asks the protocol itself: a port that accepts TCP is not a usable database
// (Docker's proxy accepts before the container listens; postgres accepts during initdb).

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/** Postgres is ready when the app user can connect to the app database and run SELECT 1. */
export function pgProbe(name: string, t: PgTarget): Probe {
  return {
    name,
    target: `postgres://${t.user}@${t.host}:${t.port}/${t.database}`,
    async check(timeoutMs) {
      // Lazy: pg and ioredis are heavy; a project loads only the clients of the kinds it has.
      const { default: pg } = await import('pg');
      const client = new pg.Client({
        host: t.host,
        port: t.port,
        user: t.user,
        password: t.password,
        database: t.database,
        connectionTimeoutMillis: Math.max(1, Math.ceil(timeoutMs)),
        application_name: 'tm-health',
      });
      client.on('error', () => {}); // a dropped connection after the check is not our concern
      await withTimeout(
        (async () => {
          await client.connect();
          await client.query('SELECT 1');
        })(),
        timeoutMs,
        'postgres probe',
        () => void client.end().catch(() => {}),
      );
    },
  };
}

export interface RedisTarget {
  host: string;
  port: number;
  password?: string;
}

/** The ioredis class, loaded on first use like pg (CommonJS: once bundled, the named export may live on the default). */
export async function loadRedis(): Promise<typeof import('ioredis').Redis> {
  const mod = await import('ioredis');
  return mod.Redis ?? (mod as unknown as { default: typeof import('ioredis').Redis }).default;
}

/**
 * A server refused the credentials: Postgres (wrong password, unknown role, no pg_hba entry)
 * or another kind's probe (AuthFailure). An answer from a running server that waiting will
 * not change.
 */
export function isAuthFailure(err: unknown): boolean {
  if (err instanceof AuthFailure) return true;
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === '28P01' || code === '28000';
}

/** Redis is ready when it answers PING and is not loading its dataset. */
export function redisProbe(name: string, t: RedisTarget): Probe {
  return {
    name,
    target: `redis://${t.host}:${t.port}`,
    async check(timeoutMs) {
      const commands = [['PING'], ['INFO', 'persistence']];
      if (t.password) commands.unshift(['AUTH', t.password]);
      const replies = await sendCommands(t, commands, timeoutMs).catch((err: unknown) => {
        throw (err as { code?: string }).code === 'LOADING' ? new Error('redis is loading its dataset') : err;
      });
      const [pong, info] = replies.slice(-2);
      if (pong !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`);
      if (/^loading:1/m.test(String(info))) throw new Error('redis is loading its dataset');
    },
  };
}

/** HTTP is ready on a 2xx answer (`headers`: what the request says it wants, as a browser's would). */
export function httpProbe(name: string, url: string, headers?: Record<string, string>): Probe {
  return {
    name,
    target: url,
    check: (timeoutMs) =>
      fetchWithin(url, timeoutMs, headers, async (res) => {
        await res.body?.cancel();
        if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${url}`);
      }),
  };
}

/**
 * GETs `url` (no redirects) and hands the answer to `read`, all within `timeoutMs`. Not
 * AbortSignal.timeout: its timer does not keep Node alive, and a request that gets no answer
 * (Docker's port proxy before the app listens) would then end tm with exit 13.
 */
export async function fetchWithin<T>(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> | undefined,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), Math.max(1, timeoutMs));
  try {
    const res = await fetch(url, { headers, signal: controller.signal, redirect: 'manual' }).catch((err: unknown) => {
      throw fetchError(err, url);
    });
    return await read(res);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port that accepts a connection. */
export function tcpProbe(name: string, host: string, port: number): Probe {
  return {
    name,
    target: `tcp ${host}:${port}`,
    check(timeoutMs) {
      return new Promise((resolve, reject) => {
        const socket = connect({ host, port });
        socket.setTimeout(Math.max(1, timeoutMs), () => {
          socket.destroy();
          reject(new Error(`connect to ${host}:${port} timed out`));
        });
        socket.once('connect', () => {
          const self = refuseSelfConnection(socket);
          if (self) return reject(self);
          socket.destroy();
          resolve();
        });
        socket.once('error', (err) => reject(err));
      });
    },
  };
}

/** A fetch failure as a short message: the timeout, or the socket error code and the URL. */
export function fetchError(err: unknown, url: string): Error {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if ((err as Error).name === 'TimeoutError') return new Error(`no answer from ${url} in time`);
  if (cause?.code) return new Error(`${cause.code} ${url}`);
  return err instanceof Error ? err : new Error(String(err));
}
