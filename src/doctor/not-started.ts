import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { connectionOf, type DatabaseTarget } from '../db/connect.js';
import { isLocalHost } from '../db/url.js';
import { NativeRuntime } from '../runtime/native/runtime.js';
import { isPortFree } from '../runtime/ports.js';

/**
 * A service of this project that is simply not started: no PID file of the native runtime
 * (one that died leaves its file behind) and nothing listening on its port. That is no fault
 * of the stack (a new project's state before its first `tm up`), so checks that need it say
 * so instead of warning.
 */
export async function notStarted(config: Config, svc: Service): Promise<boolean> {
  if (svc.port === undefined) return false;
  if ((await new NativeRuntime(config).pidFiles([svc]))[0]!.pid.state !== 'none') return false;
  return isPortFree(svc.port, svc.host === 'localhost' ? '127.0.0.1' : svc.host);
}

/** The project's own Postgres service when `target` points at it and it is not started. */
export async function targetNotStarted(config: Config, target: DatabaseTarget): Promise<Service | undefined> {
  let conn: ReturnType<typeof connectionOf>;
  try {
    conn = connectionOf(target);
  } catch {
    return undefined;
  }
  const port = Number(conn.config.port ?? 5432);
  const svc = config.services.find((s) => s.kind === 'postgres' && s.port === port);
  return svc && isLocalHost(conn.host) && (await notStarted(config, svc)) ? svc : undefined;
}
