import pg from 'pg';
import { EXIT, TmError, errorText } from '../errors.js';
import { waitFor, type WaitResult } from '../health/wait-for.js';
import { clientConfig, connectionOf, type DatabaseTarget } from './connect.js';

/** A database that does not exist yet still proves the server is up. */
const REACHABLE = '3D000'; // invalid_catalog_name
/** The server is up and said no: waiting will not change its answer. */
const REJECTED: Record<string, string> = {
  '28P01': 'the password was refused', // invalid_password
  '28000': 'the login was refused', // invalid_authorization_specification: no such role, pg_hba.conf
};

/**
 * Waits until the server accepts connections; a database that does not exist yet counts.
 * A refused login ends the wait at once (exit 3, as everywhere): the server is up, the credentials are not.
 */
export async function waitForDatabase(target: DatabaseTarget, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
  const { host, config } = connectionOf(target);
  const where = config.port ? `${host}:${config.port}` : host;
  const service = /^services\.(\S+)/.exec(target.source)?.[1];
  const hint = service
    ? `is it running? tm up starts it; tm logs ${service} shows why not`
    : `is a server listening at ${where}? (the URL is from ${target.source})`;
  return waitFor(
    {
      name: 'database',
      target: target.source,
      async check(attemptMs) {
        const client = new pg.Client(clientConfig(target, 'tm db wait', Math.max(1, Math.ceil(attemptMs))));
        client.on('error', () => {});
        try {
          await client.connect();
        } catch (err) {
          const code = (err as { code?: string }).code ?? '';
          if (code === REACHABLE) return;
          if (REJECTED[code]) {
            throw new TmError('TM_DB_LOGIN_REFUSED', `the database server at ${where} is up, but ${REJECTED[code]}: ${errorText(err)}`, {
              exit: EXIT.config,
              hint: `check the user and password in ${target.source.split(' ')[0]}`,
              cause: err,
            });
          }
          throw err;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    },
    { timeoutMs, signal, hint },
  );
}
