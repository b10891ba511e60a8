import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { kindOf } from '../../catalog/index.js';
import type { NativeDecl, NativeLaunch, Program } from '../../catalog/types.js';
import { listenAddress } from '../../config/listen.js';
import type { Config } from '../../config/load.js';
import type { Service } from '../../config/schema.js';
import { EXIT, TmError } from '../../errors.js';
import { writePrivateFile } from '../../util/private-file.js';
import { ensureOwnedDir, makePrivateDir, self } from '../../util/safe-dir.js';
import { runLogged, spawnDaemon, type Daemon } from './daemon.js';
import { chooseDataDir, dataParents, type DataDir } from './data-dir.js';
import { accountFor } from './kinds/account.js';
import { type Located, locateProgram } from './kinds/locate.js';
import type { NativePaths } from './paths.js';
import type { RunAs } from './run-as.js';

// Servers that run from a kind's launch (src/catalog): RabbitMQ, MariaDB, memcached, NATS,
// Prometheus, MailDev. The launch says what to run; this file does it: the data directory
// (inside the project, or under /var/lib/taskmaster when the server's account cannot reach
// the project), its files (0600, owned by that account), the one-time initialization, and
// the server itself, in its data directory, which is how a later tm proves it is this
// project's (verified-process.ts).

/** A kind that runs from a launch. */
export type LaunchDecl = Extract<NativeDecl<Service>, { launch: unknown }>;

/** The launch declaration of a service's kind, if it runs from one. */
export function launchDecl(svc: Service): LaunchDecl | undefined {
  const native = kindOf(svc).native as NativeDecl<Service>;
  return 'launch' in native ? native : undefined;
}

/**
 * Refuses (exit 4) a kind that has no local binaries tm can run (Elasticsearch, MinIO, an
 * image): before anything starts or is installed, saying to use Docker.
 */
export function assertNativeKinds(services: Service[]): void {
  for (const svc of services) {
    const native = kindOf(svc).native;
    if (!('refuse' in native)) continue;
    throw new TmError('TM_NATIVE_UNSUPPORTED', `${svc.name} (${kindOf(svc).title}) cannot run on the native runtime: ${native.refuse}`, {
      exit: EXIT.runtime,
      hint: 'set runtime: docker in taskmaster.yml, or run tm up --runtime docker',
    });
  }
}

/** Everything known before a launched server starts. */
export interface LaunchPlan {
  svc: Service;
  decl: LaunchDecl;
  runAs?: RunAs;
  data: DataDir;
  launch: NativeLaunch;
  program: Located;
  /** The one-time initialization's program, when it has not run yet. */
  init?: Located;
  logFile: string;
}

/** The account the server runs as: its kind's system account when tm runs as root. */
export function launchAccount(decl: LaunchDecl): Promise<RunAs | undefined> {
  return accountFor(decl.launch.account);
}

function launchOf(config: Config, svc: Service, decl: LaunchDecl, dir: string, socketDir: string): NativeLaunch {
  const settings = decl.settings(svc, { services: config.services, socketDir });
  return decl.launch.launch({ dir, host: listenAddress(svc.host), ports: decl.ports(svc), ...settings });
}

/** Where the programs are, where the data goes: refused (exit 4) when a program is missing. */
export async function planLaunch(config: Config, svc: Service, decl: LaunchDecl, paths: NativePaths): Promise<LaunchPlan> {
  const runAs = await launchAccount(decl);
  const data = await chooseDataDir(svc.name, paths, runAs, async (dir) => existsSync(dir));
  const launch = launchOf(config, svc, decl, data.dir, data.dir);
  const program = await locate(config, svc, launch.program);
  const init = launch.init && !existsSync(launch.init.creates) ? await locate(config, svc, launch.init.program) : undefined;
  return { svc, decl, runAs, data, launch, program, init, logFile: paths.logFile(svc.name) };
}

async function locate(config: Config, svc: Service, program: Program): Promise<Located> {
  const { found, rejected } = await locateProgram(program, { projectRoot: config.root });
  if (found) return found;
  throw missingProgram(
    svc,
    program,
    rejected.map((r) => `${r.source}: ${r.reason}`),
  );
}

/** Exit 4: a kind's program is not on this machine, with what installs it. */
export function missingProgram(svc: Service, program: Program, details: string[] = []): TmError {
  const name = program.npm?.package ?? program.candidates.find((c) => !c.startsWith('/')) ?? program.candidates[0];
  return new TmError('TM_BINARY_MISSING', `no ${name} found for ${svc.name} (${kindOf(svc).title}) on the native runtime`, {
    exit: EXIT.runtime,
    details,
    hint: `tm up --yes installs it (tm doctor shows where tm looked), or use the Docker runtime (runtime: docker)`,
  });
}

/** A socket path is limited to about 107 bytes: a data directory deeper than this puts its sockets elsewhere. */
const SOCKET_DIR_MAX = 70;

/**
 * Makes the data directory and the launch's folders (owned by the server's account, 0700),
 * writes its files (0600), runs its initialization once, then starts the server in its data
 * directory. A deep data directory gets a private socket directory, made anew at each start
 * (as Postgres' is), returned to be recorded and removed after the server stops.
 */
export async function startLaunched(config: Config, plan: LaunchPlan, paths: NativePaths): Promise<{ daemon: Daemon; socketDir?: string }> {
  const owner = plan.runAs ?? self();
  await dataParents(plan.data, true);
  ensureOwnedDir(plan.data.dir, 0o700, owner);
  const socketDir = plan.data.dir.length > SOCKET_DIR_MAX ? makePrivateDir(paths.socketPrefix, owner) : undefined;
  const launch = socketDir ? launchOf(config, plan.svc, plan.decl, plan.data.dir, socketDir) : plan.launch;
  for (const dir of launch.dirs) for (const step of stepsBelow(plan.data.dir, dir)) ensureOwnedDir(step, 0o700, owner);
  for (const file of launch.files) await writePrivateFile(file.path, file.content, owner);
  if (launch.init && plan.init && !existsSync(launch.init.creates)) {
    try {
      await runLogged(plan.init.file, [...plan.init.args, ...launch.init.args], { logFile: plan.logFile, runAs: plan.runAs });
    } catch (err) {
      // What it made halfway would be taken for a finished initialization next time.
      await rm(launch.init.creates, { recursive: true, force: true });
      throw new TmError('TM_INIT_FAILED', `initializing ${plan.svc.name} failed: ${(err as Error).message}`, {
        exit: EXIT.runtime,
        hint: `see ${plan.logFile} (tm logs ${plan.svc.name})`,
        cause: err,
      });
    }
  }
  const daemon = await spawnDaemon(plan.program.file, [...plan.program.args, ...launch.args], {
    logFile: plan.logFile,
    runAs: plan.runAs,
    env: { ...process.env, ...launch.env },
    cwd: plan.data.dir,
  });
  return { daemon, socketDir };
}

/** `dir` and each folder between `root` and it (`root/a`, `root/a/b`), for folders made one level at a time. */
function stepsBelow(root: string, dir: string): string[] {
  const parts = relative(root, dir).split(sep).filter(Boolean);
  return parts.map((_, i) => join(root, ...parts.slice(0, i + 1)));
}

/** After the server has stopped: what it started on its own (RabbitMQ's epmd) is ended too. */
export async function afterStop(config: Config, svc: Service, decl: LaunchDecl, paths: NativePaths): Promise<void> {
  const dir = paths.dataDir(svc.name);
  const launch = launchOf(config, svc, decl, dir, dirname(dir));
  const runAs = await launchAccount(decl);
  for (const step of launch.afterStop ?? []) {
    const { found } = await locateProgram(step.program, { projectRoot: config.root });
    if (found) await runLogged(found.file, [...found.args, ...step.args], { logFile: paths.logFile(svc.name), runAs }).catch(() => undefined);
  }
}

/** How long a launched server may take to stop gracefully. */
export function stopGraceOf(config: Config, svc: Service, decl: LaunchDecl, paths: NativePaths): number {
  const dir = paths.dataDir(svc.name);
  return launchOf(config, svc, decl, dir, dir).stopGraceMs;
}

/** The program a launched service runs (where its data goes does not change which). */
export function launchProgram(config: Config, svc: Service, decl: LaunchDecl): Program {
  return launchOf(config, svc, decl, '/', '/').program;
}

/** What a missing program is called for people: the system package, or the npm package. */
export function installName(decl: LaunchDecl): string {
  return 'system' in decl.install ? decl.install.system.apt[0]! : `${decl.install.npm.package} (npm)`;
}

/** How a missing program gets installed: by `tm doctor --fix` / `tm up --yes`, or by hand. */
export function installHint(decl: LaunchDecl): string {
  if ('npm' in decl.install) {
    const { package: pkg, version } = decl.install.npm;
    return `tm doctor --fix (or tm up --yes) installs ${pkg}@${version} from the npm registry into tm's cache; or npm install -D ${pkg} in the project`;
  }
  const { apt, dnf, brew } = decl.install.system;
  return `tm doctor --fix (or tm up --yes) installs it with the system's package manager: apt-get install -y ${apt.join(' ')}, dnf install -y ${dnf.join(' ')}, or brew install ${brew.join(' ')}`;
}
