import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, type Probe, type WaitResult } from '../../src/health/wait-for.js';
import { runLogged, spawnDaemon, type Daemon } from '../../src/runtime/native/daemon.js';
import { accountFor } from '../../src/runtime/native/kinds/account.js';
import { locateProgram } from '../../src/runtime/native/kinds/locate.js';
import type { NativeKind, Program } from '../../src/catalog/types.js';
import { terminateGroup } from '../../src/runtime/native/proc.js';
import type { RunAs } from '../../src/runtime/native/run-as.js';
import { freePort } from './project.js';

// Starts a real server of a kind from local binaries, on free ports in a temporary directory,
// as the kind's system account when the tests run as root. What to run comes from the kind's
// module in src/catalog; this file only carries it out.

export interface NativeServer<P extends string> {
  dir: string;
  host: string;
  ports: Record<P, number>;
  /** Milliseconds from spawning the server to its probe passing (set by `ready`). */
  startMs?: number;
  /** Waits until `probe` passes; fails at once, with the log, if the server exits. */
  ready(probe: Probe, timeoutMs: number): Promise<WaitResult>;
  log(): Promise<string>;
  /** Stops the server (SIGTERM to its process group, SIGKILL after the kind's grace) and deletes its directory. */
  stop(): Promise<void>;
}

export async function startNative<P extends string, S extends object>(kind: NativeKind<P, S>, settings: S): Promise<NativeServer<P>> {
  const host = '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), `tm-${kind.kind}-`));
  const runAs = await accountFor(kind.account);
  const own = (path: string) => (runAs ? chown(path, runAs.uid, runAs.gid) : undefined);
  await own(dir);
  const ports = await freePorts(kind.ports);
  const launch = kind.launch({ dir, host, ports, ...settings });
  const logFile = join(dir, 'server.log');
  for (const d of launch.dirs) {
    await mkdir(d, { recursive: true });
    await own(d);
  }
  for (const f of launch.files) {
    await writeFile(f.path, f.content, { mode: 0o600 });
    await own(f.path);
  }
  if (launch.init && !existsSync(launch.init.creates)) await runStep(launch.init, logFile, runAs);
  const program = await located(launch.program);
  const spawnedAt = performance.now();
  const daemon: Daemon = await spawnDaemon(program.file, [...program.args, ...launch.args], { logFile, runAs, env: { ...process.env, ...launch.env } });
  let stopped = false;
  const server: NativeServer<P> = {
    dir,
    host,
    ports,
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    async ready(probe, timeoutMs) {
      const watched: Probe = {
        ...probe,
        async check(t) {
          if (daemon.exit)
            throw new ServerExited(`${kind.kind} exited (code ${daemon.exit.code}, signal ${daemon.exit.signal}); its log:\n${await server.log()}`);
          await probe.check(t);
        },
      };
      const r = await waitFor(watched, { timeoutMs, isFatal: (e) => e instanceof ServerExited });
      server.startMs ??= Math.round(performance.now() - spawnedAt);
      return r;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminateGroup(daemon.pid, 'SIGTERM', launch.stopGraceMs);
      for (const step of launch.afterStop ?? []) await runStep(step, logFile, runAs).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

class ServerExited extends Error {}

async function runStep(step: { program: Program; args: string[] }, logFile: string, runAs?: RunAs): Promise<void> {
  const program = await located(step.program);
  await runLogged(program.file, [...program.args, ...step.args], { logFile, runAs });
}

async function located(program: Program) {
  const { found, rejected } = await locateProgram(program);
  if (!found) throw new Error(`not installed: ${rejected.map((r) => `${r.source} ${r.reason}`).join(', ')}`);
  return found;
}

async function freePorts<P extends string>(names: readonly P[]): Promise<Record<P, number>> {
  const ports = {} as Record<P, number>;
  const taken = new Set<number>();
  for (const name of names) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}
