import { clientOf, kindsWithClient } from '../config/clients.js';
import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { pickServices } from '../config/services.js';
import { EXIT, TmError } from '../errors.js';
import type { CommandOptions, Runtime } from '../runtime/types.js';
import { type Launch, runForeground } from '../util/foreground.js';

/** How to install each client where it is missing. */
const INSTALL: Record<string, string> = {
  psql: 'apt-get install postgresql-client (Debian/Ubuntu), brew install libpq (macOS)',
  pg_dump: 'apt-get install postgresql-client (Debian/Ubuntu), brew install libpq (macOS)',
  pg_restore: 'apt-get install postgresql-client (Debian/Ubuntu), brew install libpq (macOS)',
  'redis-cli': 'apt-get install redis-tools (Debian/Ubuntu), brew install redis (macOS)',
};

/** The service a command names, or the project's first one of `kind` when it names none. */
export function serviceOfKind(config: Config, kind: Service['kind'], name?: string): Service {
  if (name) {
    const svc = pickServices(config, [name])[0]!;
    if (svc.kind !== kind) throw new TmError('TM_USAGE', `${name} is a ${svc.kind} service, not ${kind}`, { exit: EXIT.usage });
    return svc;
  }
  const svc = config.services.find((s) => s.kind === kind);
  if (!svc)
    throw new TmError('TM_NO_SERVICE', `${config.name} declares no ${kind} service`, { exit: EXIT.config, hint: `add one under services: in taskmaster.yml` });
  return svc;
}

/** `tm shell SERVICE`: the argv of the service's client. */
export function shellArgv(svc: Service): string[] {
  const client = clientOf(svc);
  if (!client) {
    throw new TmError('TM_NO_CLIENT', `${svc.name} is a ${svc.kind} service, which has no client to open`, {
      exit: EXIT.usage,
      hint: `tm shell opens ${kindsWithClient().join(', ')} services; tm exec ${svc.name} -- CMD runs a command for it`,
    });
  }
  return [client.program];
}

/**
 * Prepares `argv` for `svc` on `runtime`. A container must be running to exec in, and a
 * client (or pg_dump) needs its server; a command for a native app runs whether the app does or not.
 */
export async function prepareCommand(runtime: Runtime, svc: Service, argv: string[], opts: CommandOptions): Promise<Launch> {
  if (runtime.name === 'docker' || opts.server) {
    const [state] = await runtime.status([svc]);
    if (state?.state !== 'running') {
      throw new TmError('TM_NOT_RUNNING', `${svc.name} is not running (${runtime.name} runtime)${state?.detail ? `: ${state.detail}` : ''}`, {
        exit: EXIT.runtime,
        hint: `tm up ${svc.name}`,
      });
    }
  }
  return runtime.command(svc, argv, opts);
}

/** Runs a prepared command on this terminal; its exit code is the result. A program not installed is exit 4 with the fix. */
export async function runInForeground(launch: Launch, runtime: Runtime, program: string): Promise<number> {
  const code = await runForeground(launch).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    throw notInstalled(program, launch.file === 'docker' ? 'the docker CLI' : program, runtime);
  });
  // docker compose exec: 126/127 when the program is not in the container's image.
  if (runtime.name === 'docker' && (code === 126 || code === 127) && INSTALL[program]) throw notInstalled(program, program, runtime);
  return code;
}

function notInstalled(program: string, missing: string, runtime: Runtime): TmError {
  const inContainer = runtime.name === 'docker' && missing === program;
  return new TmError('TM_CLIENT_MISSING', `${missing} was not found ${inContainer ? "in the service's container" : 'on this machine'}`, {
    exit: EXIT.runtime,
    hint: inContainer
      ? `use an image that has ${program} (services.<name>.image), or --runtime native with ${program} installed here`
      : missing === program
        ? `install it: ${INSTALL[program] ?? `put ${program} on PATH`}`
        : 'install Docker with Compose v2, or use --runtime native',
  });
}
