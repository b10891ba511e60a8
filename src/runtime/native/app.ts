import { readFile, rm } from 'node:fs/promises';
import type { AppService } from '../../config/schema.js';
import { EXIT, TmError } from '../../errors.js';
import { splitCommand } from '../../util/command.js';
import { builtScript } from '../../util/package-root.js';
import { spawnDaemon, type Daemon } from './daemon.js';
import type { SupervisorHello } from './supervisor.js';
import { supervisorArgument } from './verified-process.js';

/** How an app service last exited, as its supervisor recorded it. */
export interface AppExit {
  code: number | null;
  signal: string | null;
  /** True when tm stopped it (tm down), false when it ended by itself. */
  stopped: boolean;
  /** True when some of its processes outlived the grace period and were killed. */
  forced?: boolean;
  at: string;
  /** The service marker of the app that wrote it. */
  service?: string;
}

/** A started app: its supervisor (the daemon) and the app's own process group. */
export interface StartedApp extends Daemon {
  pgid?: number;
}

export async function startApp(
  svc: AppService,
  opts: { marker: string; cwd: string; env: Record<string, string>; logFile: string; exitFile: string; graceMs: number },
): Promise<StartedApp> {
  if (!svc.command) {
    throw new TmError('TM_APP_NO_COMMAND', `services.${svc.name} has no command for the native runtime`, {
      exit: EXIT.config,
      hint: `add command: (e.g. npm run dev) to services.${svc.name}, or use the docker runtime with build: or image:`,
    });
  }
  const argv = splitCommand(svc.command, svc.name);
  await rm(opts.exitFile, { force: true });
  const supervisor = builtScript('runtime/native/supervisor.js');
  const daemon = await spawnDaemon(process.execPath, [supervisor, supervisorArgument(opts.marker)], {
    logFile: opts.logFile,
    ipc: true,
    env: {
      ...process.env,
      TM_SUPERVISE: JSON.stringify({
        argv,
        cwd: opts.cwd,
        env: opts.env,
        logFile: opts.logFile,
        exitFile: opts.exitFile,
        graceMs: opts.graceMs,
        service: opts.marker,
      }),
    },
  });
  // The supervisor says which process group the app runs in, so `tm down` can stop the group
  // even if the supervisor itself is gone by then.
  const hello = await new Promise<SupervisorHello | undefined>((resolve) => {
    daemon.child.once('message', (m) => resolve(m as SupervisorHello));
    daemon.child.once('exit', () => resolve(undefined));
    daemon.child.once('disconnect', () => resolve(undefined));
  });
  if (daemon.child.connected) daemon.child.disconnect();
  return { ...daemon, pgid: hello && 'pgid' in hello ? hello.pgid : undefined };
}

/** How the app last exited, if its supervisor recorded it for this project's service (`marker`). */
export async function readAppExit(file: string, marker: string): Promise<AppExit | undefined> {
  try {
    const exit = JSON.parse(await readFile(file, 'utf8')) as AppExit;
    return exit.service === undefined || exit.service === marker ? exit : undefined;
  } catch {
    return undefined;
  }
}
