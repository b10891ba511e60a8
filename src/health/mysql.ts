import { AuthFailure } from './auth-failure.js';
import { withTimeout, type Probe } from './wait-for.js';

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/**
 * Server errors that refuse the login itself: wrong password or unknown user (1045), no
 * access to the database (1044), no account for this host (1130), a password-less account
 * that needs another plugin (1698).
 */
const REFUSED = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_HOST_NOT_PRIVILEGED', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']);

/** The mysql2 module (CommonJS: once bundled, its functions may live on the default). */
export async function loadMysql(): Promise<typeof import('mysql2')> {
  // Lazy: mysql2 takes about as long to load as pg, and only projects with MySQL need it.
  const mod = await import('mysql2');
  return (mod as unknown as { default?: typeof import('mysql2') }).default ?? mod;
}

/** MySQL / MariaDB is ready when the user logs in to the database and SELECT 1 answers. */
export function mysqlProbe(name: string, t: MysqlTarget): Probe {
  return {
    name,
    target: `mysql://${t.user}@${t.host}:${t.port}/${t.database}`,
    async check(timeoutMs) {
      const mysql = await loadMysql();
      const conn = mysql.createConnection({ host: t.host, port: t.port, user: t.user, password: t.password, database: t.database });
      conn.on('error', () => {}); // a dropped connection after the check is not our concern
      let answered = false;
      await withTimeout(
        new Promise<void>((resolve, reject) =>
          conn.query('SELECT 1', (err) => {
            if (err) return reject(refusal(err));
            answered = true;
            resolve();
          }),
        ),
        timeoutMs,
        'mysql probe',
        () => {
          // A logged-in session says goodbye (COM_QUIT), or the server logs an aborted
          // connection at every probe; anything else is cut off (mysql2's destroy only ends
          // its half of the socket, which a server that says nothing never closes).
          if (answered) conn.end(() => {});
          else {
            conn.destroy();
            (conn as unknown as { stream?: { destroy(): void } }).stream?.destroy();
          }
        },
      );
    },
  };
}

function refusal(err: Error & { code?: string }): Error {
  return err.code !== undefined && REFUSED.has(err.code) ? new AuthFailure(err.message, { cause: err }) : err;
}
