import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Config } from '../../config/load.js';
import type { AppService, PostgresService, RedisService, Service } from '../../config/schema.js';
import { EXIT, TmError } from '../../errors.js';
import { waitFor, type Probe } from '../../health/wait-for.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import type { CommandOptions, Runtime, ServiceState, StartOptions, StopOptions, StopResult } from '../types.js';
import { appEnvironment } from '../app-env.js';
import { readAppExit, startApp } from './app.js';
import type { Daemon } from './daemon.js';
import { tailLines } from './daemon.js';
import { followFiles } from './follow.js';
import { nativePaths, type NativePaths } from './paths.js';
import { findOrphans, type Orphan } from './orphans.js';
import { checkPidFile, removePidFile, writePidFile, type PidRecord, type PidState } from './pidfile.js';
import { oneLine } from '../ports.js';
import * as pg from './postgres.js';
import { processStartTicks, terminate, terminateGroup, type Ending } from './proc.js';
import { projectIdentity, proveGroup, SERVICE_ID_VARIABLE, serviceIdentity, serviceMarker } from './verified-process.js';
import * as redis from './redis.js';
import { firstErrorLine, startOutput } from './start-output.js';
import { postgresRunAs, type RunAs } from './run-as.js';
import { afterStop, assertNativeKinds, launchAccount, launchDecl, type LaunchPlan, planLaunch, startLaunched, stopGraceOf } from './launched.js';
import { insideProject } from '../../util/inside.js';
import type { ClientTools } from '../../db/admin/copy.js';
import { listenAddress } from '../../config/listen.js';
import { directorySize } from '../../util/du.js';
import { writePrivateFile } from '../../util/private-file.js';
import { removeOwnedDir, self } from '../../util/safe-dir.js';
import { removeExternalData } from './leftovers.js';
import { definedEnv, type Launch } from '../../util/foreground.js';
import { clientOf, serviceVariables } from '../../config/clients.js';
import { findPostgres, findRedis } from './binaries.js';

const STOP_GRACE_MS = 10_000;
/** Postgres' invalid_catalog_name: the database does not exist. */
const MISSING_DATABASE = '3D000';

/** How long an app gets between SIGTERM and SIGKILL (services.<app>.stop_grace_period). */
/** How long a stop waits before SIGKILL: an app's stop_grace_period, else STOP_GRACE_MS. */
function graceOf(svc: Service): number {
  return svc.kind === 'app' && svc.stop_grace_period ? parseDuration(svc.stop_grace_period, `services.${svc.name}.stop_grace_period`) : STOP_GRACE_MS;
}

/** Local binaries, no containers: processes outlive the CLI and are found again by PID file. */
export class NativeRuntime implements Runtime {
  readonly name = 'native' as const;
  readonly paths: NativePaths;
  private readonly pgPlans = new Map<string, pg.PgPlan>();
  private readonly redisPlans = new Map<string, redis.RedisPlan>();
  private readonly launchPlans = new Map<string, LaunchPlan>();
  /** Servers started by this process, to notice one exiting during start. */
  private readonly daemons = new Map<string, Daemon>();

  constructor(private readonly config: Config) {
    this.paths = nativePaths(config);
  }

  async status(services: Service[]): Promise<ServiceState[]> {
    return Promise.all(
      services.map(async (svc): Promise<ServiceState> => {
        if (svc.kind === 'app' && !svc.command)
          return { name: svc.name, kind: svc.kind, state: 'unmanaged', port: svc.port, detail: 'no command: not started by the native runtime' };
        const pid = await checkPidFile(this.paths, svc);
        if (pid.state === 'running') {
          const { record, unsupervised } = pid;
          // For an app, the pid is the app's (its group leader), not its supervisor's.
          const shown = unsupervised ? (unsupervised.includes(record.pgid!) ? record.pgid : unsupervised[0]) : (record.pgid ?? record.pid);
          const detail = unsupervised
            ? `its supervisor (pid ${record.pid}) is gone; ${unsupervised.length} process(es) ` +
              `of the app still run unsupervised (tm down or tm restart ${svc.name} stops them)`
            : undefined;
          return { name: svc.name, kind: svc.kind, state: 'running', pid: shown, port: record.port, startedAt: record.startedAt, detail };
        }
        const exit = svc.kind === 'app' ? await readAppExit(this.exitFile(svc), serviceMarker(this.config.root, svc.name)) : undefined;
        const exited = exit && !exit.stopped ? `exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`} at ${exit.at}` : undefined;
        if (pid.state === 'stale') {
          await this.forget(svc, pid.record);
          return {
            name: svc.name,
            kind: svc.kind,
            state: 'stopped',
            port: svc.port,
            exit_code: exit?.code ?? undefined,
            detail: exited ?? `stale PID file removed: ${pid.reason}`,
          };
        }
        return { name: svc.name, kind: svc.kind, state: 'stopped', port: svc.port, exit_code: exited ? (exit?.code ?? undefined) : undefined, detail: exited };
      }),
    );
  }

  async preflight(services: Service[]): Promise<void> {
    this.ownState(services);
    assertNativeKinds(services);
    for (const svc of services) {
      const decl = launchDecl(svc);
      if (svc.kind === 'postgres') {
        // A test database starts from nothing each time (what a reboot left of the last one goes first).
        if (svc.testOf) await this.removeData([svc]);
        this.pgPlans.set(svc.name, await pg.planPostgres(svc, this.paths, this.config.root));
      } else if (svc.kind === 'redis') this.redisPlans.set(svc.name, await redis.planRedis(svc, this.paths));
      else if (decl) this.launchPlans.set(svc.name, await planLaunch(this.config, svc, decl, this.paths));
    }
  }

  async start(services: Service[], opts: StartOptions): Promise<void> {
    this.ownState(services);
    assertNativeKinds(services);
    // Every start runs to its end (its PID file written) before a failure is thrown: the
    // caller then stops what did start (Ctrl-C during initdb while Redis was being recorded).
    const results = await Promise.allSettled(
      services.map((svc) => {
        opts.onProgress?.(`starting ${svc.name}${svc.port === undefined ? '' : ` on port ${svc.port}`}`);
        if (svc.kind === 'postgres') return this.startPostgres(svc, opts);
        if (svc.kind === 'redis') return this.startRedis(svc);
        if (svc.kind === 'app') return this.startApp(svc);
        return this.startLaunched(svc, opts);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A server from its kind's launch (RabbitMQ, MariaDB, memcached, NATS, Prometheus, MailDev). */
  private async startLaunched(svc: Service, opts: StartOptions): Promise<void> {
    const decl = launchDecl(svc)!;
    const plan = this.launchPlans.get(svc.name) ?? (await planLaunch(this.config, svc, decl, this.paths));
    if (plan.init) opts.onProgress?.(`initializing ${svc.name} data directory`);
    const { daemon, socketDir } = await startLaunched(this.config, plan, this.paths);
    await this.record(svc, daemon, plan.program.args[0] ?? plan.program.file, { socketDir });
  }

  private async startPostgres(svc: PostgresService, opts: StartOptions): Promise<void> {
    const plan = this.pgPlans.get(svc.name) ?? (await pg.planPostgres(svc, this.paths, this.config.root));
    if (!(await pg.isInitialized(plan))) {
      if (plan.substitute) opts.onWarning?.(plan.substitute);
      opts.onProgress?.(`initializing ${svc.name} data directory (PostgreSQL ${plan.bins.major})`);
      await pg.initPostgres(plan, opts.signal);
    }
    const daemon = await pg.startPostgres(plan);
    await this.record(svc, daemon, `${plan.bins.bindir}/postgres`, { socketDir: plan.socketDir });
    // Roles and database are set up once per (user, password, database); on a warm start
    // there is nothing to set up, and the caller's probe as the app user is the only wait.
    const stamp = this.paths.pidFile(svc.name).replace(/\.pid$/, '.roles');
    const fingerprint = createHash('sha256').update(pg.roleFingerprint(plan)).digest('hex');
    const previous = await readFile(stamp, 'utf8').catch(() => '');
    // Init files run once, on a new data directory, right after its roles are set up.
    const init = await pg.pendingInit(plan);
    if (previous.trim() === fingerprint && init.length === 0) return;
    await waitFor(this.guard(svc, pg.bootstrapProbe(plan)), { timeoutMs: opts.timeoutMs, signal: opts.signal, intervalMs: 10 });
    if (previous.trim() !== fingerprint) {
      await pg.ensureRoleAndDatabase(plan);
      await writePrivateFile(stamp, `${fingerprint}\n`);
    }
    if (init.length > 0) {
      opts.onProgress?.(`running ${init.length} init file${init.length === 1 ? '' : 's'} of ${svc.name}`);
      try {
        await pg.runInit(plan, this.config.root, init);
      } catch (err) {
        // Stopped, so that the next tm up starts it again and runs what is left, once fixed.
        await this.stop([svc]).catch(() => undefined);
        throw err;
      }
    }
  }

  private async startRedis(svc: RedisService): Promise<void> {
    const plan = this.redisPlans.get(svc.name) ?? (await redis.planRedis(svc, this.paths));
    const daemon = await redis.startRedis(plan);
    await this.record(svc, daemon, plan.binary);
  }

  private async startApp(svc: AppService): Promise<void> {
    const marker = serviceMarker(this.config.root, svc.name);
    const app = await startApp(svc, {
      marker,
      cwd: resolve(this.config.root, svc.cwd ?? '.'),
      // The marker is how a later tm proves the app's processes are this project's (verified-process.ts).
      env: { ...definedEnv(), ...(await appEnvironment(this.config, svc)), [SERVICE_ID_VARIABLE]: marker },
      logFile: this.logFile(svc),
      exitFile: this.exitFile(svc),
      graceMs: graceOf(svc),
    });
    const group = app.pgid === undefined ? {} : { pgid: app.pgid, pgidStartTicks: await processStartTicks(app.pgid) };
    await this.record(svc, app, Array.isArray(svc.command) ? svc.command.join(' ') : svc.command!, group);
  }

  private exitFile(svc: Service): string {
    return this.paths.pidFile(svc.name).replace(/\.pid$/, '.exit');
  }

  private async record(svc: Service, daemon: Daemon, command: string, extra: Pick<PidRecord, 'pgid' | 'pgidStartTicks' | 'socketDir'> = {}): Promise<void> {
    try {
      await writePidFile(this.paths.pidFile(svc.name), {
        project: projectIdentity(this.config.root),
        pid: daemon.pid,
        startTicks: await processStartTicks(daemon.pid),
        startedAt: new Date().toISOString(),
        port: svc.port,
        command,
        ...extra,
      });
    } catch (err) {
      // A server without its PID file could never be found again by tm down.
      await terminate(daemon.pid, svc.kind === 'postgres' ? 'SIGINT' : 'SIGTERM', STOP_GRACE_MS);
      throw err;
    }
    this.daemons.set(svc.name, daemon);
  }

  /**
   * Wraps a readiness probe so a server that exited during start fails at once, with its log;
   * a Postgres whose app database is missing (dropped by a reset that failed half-way) gets it
   * created again, once, as the role setup would.
   */
  guard(svc: Service, probe: Probe): Probe {
    const d = this.daemons.get(svc.name);
    let created = false;
    return {
      ...probe,
      check: async (timeoutMs) => {
        if (d) await this.exitedDuringStart(svc, d);
        try {
          return await probe.check(timeoutMs);
        } catch (err) {
          if (svc.kind !== 'postgres' || created || (err as { code?: string }).code !== MISSING_DATABASE) throw err;
          created = true;
          const pid = await checkPidFile(this.paths, svc);
          if (pid.state !== 'running' || !pid.record.socketDir) throw err;
          await pg.ensureDatabase({ svc, socketDir: pid.record.socketDir });
          return probe.check(timeoutMs);
        }
      },
    };
  }

  /** Throws when a service this run started has exited already (with its log). */
  private async exitedDuringStart(svc: Service, d: Daemon): Promise<void> {
    const appExit = svc.kind === 'app' ? await readAppExit(this.exitFile(svc), serviceMarker(this.config.root, svc.name)) : undefined;
    if (appExit) throw await this.appExited(svc, 'exited during start', appExit);
    if (d.exit) {
      const how = d.exit.signal ? `signal ${d.exit.signal}` : `code ${d.exit.code}`;
      throw new TmError('TM_SERVICE_EXITED', `${svc.name} exited during start (${how})`, {
        exit: EXIT.timeout,
        details: await tailLines(this.logFile(svc), 10),
        hint: `tm logs ${svc.name}`,
      });
    }
  }

  jobFinished(svc: Service): Probe {
    return {
      name: svc.name,
      target: `${svc.name} exiting with code 0`,
      check: async () => {
        const exit = await readAppExit(this.exitFile(svc), serviceMarker(this.config.root, svc.name));
        if (!exit) {
          if ((await checkPidFile(this.paths, svc)).state !== 'running') throw new Error('not running');
          throw new Error('still running');
        }
        if (exit.code === 0) return;
        throw await this.appExited(svc, 'exited before completing', exit);
      },
    };
  }

  async stop(services: Service[], opts: StopOptions = {}): Promise<StopResult[]> {
    this.ownState(services);
    const results: StopResult[] = [];
    for (const svc of [...services].reverse()) results.unshift(await this.stopOne(svc, opts));
    // A test database keeps nothing from one start to the next.
    const throwaway = services.filter((s) => s.kind === 'postgres' && s.testOf);
    if (throwaway.length > 0) await this.removeData(throwaway);
    return results;
  }

  private async stopOne(svc: Service, opts: StopOptions): Promise<StopResult> {
    const pid = await checkPidFile(this.paths, svc);
    if (pid.state !== 'running') {
      await this.forget(svc, pid.state === 'stale' ? pid.record : undefined);
      // A server that died (or never finished starting) may have left what it started on its own.
      const decl = launchDecl(svc);
      if (decl && pid.state === 'stale') await afterStop(this.config, svc, decl, this.paths);
      return { name: svc.name, result: (await this.reclaimOne(svc, opts)) ? 'stopped' : 'not running' };
    }
    // SIGINT is Postgres' "fast" shutdown (SIGTERM waits for clients); Redis saves on SIGTERM;
    // an app's supervisor stops the app's process group (SIGKILL after the grace period), so
    // the supervisor itself gets a moment longer.
    const { record } = pid;
    const killing = (grace: number) => () => opts.onProgress?.(`${svc.name} (pid ${record.pid}) did not stop within ${formatDuration(grace)}: killing it`);
    let how: Ending;
    const decl = launchDecl(svc);
    if (decl) {
      // A launched server stops with its process group (RabbitMQ's script and its Erlang VM), then what it left (epmd).
      const grace = stopGraceOf(this.config, svc, decl, this.paths);
      how = await terminateGroup(record.pid, 'SIGTERM', grace, killing(grace));
      await afterStop(this.config, svc, decl, this.paths);
    } else if (pid.unsupervised) {
      // The supervisor (of an app) was killed: stop what is left of the app's group ourselves.
      how = await terminateGroup(record.pgid!, 'SIGTERM', graceOf(svc));
    } else {
      const grace = svc.kind === 'app' ? graceOf(svc) + 2000 : STOP_GRACE_MS;
      how = await terminate(record.pid, svc.kind === 'postgres' ? 'SIGINT' : 'SIGTERM', grace, killing(grace));
      // The supervisor empties the group before it leaves; if it was cut short, finish the job
      // (only on what is still proven the app's).
      const left = await proveGroup(record, serviceIdentity(this.paths, svc));
      if ('members' in left && left.members.length > 0 && (await terminateGroup(record.pgid!, 'SIGKILL', 0)) !== 'gone') how = 'killed';
    }
    // The supervisor kills what outlives the grace period itself, and says so in the exit record.
    if (svc.kind === 'app' && (await readAppExit(this.exitFile(svc), serviceMarker(this.config.root, svc.name)))?.forced) how = 'killed';
    await this.forget(svc, record);
    return { name: svc.name, result: how === 'killed' ? 'killed' : 'stopped' };
  }

  /**
   * Stops servers of these services that run on this project's data but that no PID file
   * knows: a tm killed between starting one and recording it. Before starting them again,
   * and when stopping them, so nothing is left running where tm cannot see it.
   */
  async reclaim(services: Service[], opts: StopOptions = {}): Promise<void> {
    for (const svc of services) await this.reclaimOne(svc, opts);
  }

  /** Stops `svc`'s servers that no PID file knows; true when there was one. */
  private async reclaimOne(svc: Service, opts: StopOptions): Promise<boolean> {
    if (svc.kind === 'app') return false; // an app's processes carry its marker, and its PID file is written before they serve
    const pid = await checkPidFile(this.paths, svc);
    const tracked = new Set(pid.state === 'running' ? [pid.record.pid] : []);
    const orphans = await findOrphans(serviceIdentity(this.paths, svc).dataDirs, svc.kind === 'redis' ? [svc.port] : [], tracked);
    for (const o of orphans) {
      opts.onProgress?.(`${svc.name} (pid ${o.pid}) runs on this project's data without a PID file (a tm stopped while starting it): stopping it`);
      await terminate(o.pid, svc.kind === 'postgres' ? 'SIGINT' : 'SIGTERM', STOP_GRACE_MS);
      const socketDir = svc.kind === 'postgres' ? o.argv[o.argv.indexOf('-k') + 1] : undefined;
      if (socketDir && o.argv.includes('-k')) await this.forget(svc, { pid: o.pid, startedAt: '', command: o.command, socketDir });
    }
    return orphans.length > 0;
  }

  /**
   * Removes what a stopped server leaves: its PID file and the socket directory made for it
   * (with the socket and lock files of a server that died uncleanly), only when that directory
   * has this project's prefix and is one tm made (verified, never followed through a symlink).
   */
  private async forget(svc: Service, record: PidRecord | undefined): Promise<void> {
    this.ownState([svc]);
    await removePidFile(this.paths.pidFile(svc.name));
    const dir = record?.socketDir;
    if (!dir || dirname(dir) !== dirname(this.paths.socketPrefix) || !basename(dir).startsWith(basename(this.paths.socketPrefix))) return;
    const runAs = await this.account(svc);
    // A directory that is not tm's (a hand-written record naming another) stays where it is.
    await removeOwnedDir(dir, 0o700, runAs ? [self(), runAs] : [self()]).catch(() => undefined);
  }

  async removeData(services: Service[]): Promise<void> {
    this.ownState(services);
    // Never from under a live server (stop() has stopped the ones tm knows, and reclaimed the rest).
    const live = await this.orphans(services);
    if (live.length > 0) {
      throw new TmError(
        'TM_DATA_IN_USE',
        `refusing to delete the data: ${live.map((o) => `pid ${o.pid} (${oneLine(o.command, 60)})`).join(', ')} still runs on it`,
        {
          exit: EXIT.runtime,
          hint: 'tm down stops it; then tm down --volumes',
        },
      );
    }
    for (const svc of services) {
      await rm(this.paths.dataDir(svc.name), { recursive: true, force: true });
      await rm(pg.initDir(this.paths.dataDir(svc.name)), { recursive: true, force: true });
      const external = this.paths.externalDataDir(svc.name);
      if (existsSync(dirname(external))) {
        // Outside the project: only directories tm made, checked before anything is deleted.
        const account = await this.account(svc);
        await removeExternalData(external, account);
        if (svc.kind === 'postgres') await removeOwnedDir(pg.initDir(external), 0o700, account ? [self(), account] : [self()]);
        await rmdir(dirname(external)).catch(() => undefined);
      }
      if (svc.kind === 'postgres') await rm(this.paths.pidFile(svc.name).replace(/\.pid$/, '.roles'), { force: true });
    }
  }

  /** The account a service's server runs as (tm running as root), if not tm's own. */
  private async account(svc: Service): Promise<RunAs | undefined> {
    const decl = launchDecl(svc);
    if (decl) return launchAccount(decl);
    return svc.kind === 'postgres' ? postgresRunAs().catch(() => undefined) : undefined;
  }

  /**
   * What tm writes and deletes here stays inside the project: `.taskmaster/` and its folders,
   * and the services' data directories, must not lead elsewhere through a symbolic link (a
   * repository could commit `.taskmaster/data -> ../../..`). Checked before each change.
   */
  private ownState(services: Service[]): void {
    const { root, state } = this.paths;
    const data = services.flatMap((s) => [this.paths.dataDir(s.name), pg.initDir(this.paths.dataDir(s.name))]);
    for (const dir of [state, ...['data', 'logs', 'run'].map((d) => join(state, d)), ...data]) insideProject(root, dir);
  }

  async clientTools(svc: PostgresService): Promise<ClientTools> {
    const plan = this.pgPlans.get(svc.name) ?? (await pg.planPostgres(svc, this.paths, this.config.root));
    for (const program of ['pg_dump', 'pg_restore']) {
      if (!existsSync(join(plan.bins.bindir, program)))
        throw new TmError('TM_BINARY_MISSING', `${program} is not beside the PostgreSQL ${plan.bins.major} server in ${plan.bins.bindir}`, {
          exit: EXIT.runtime,
          hint: `install PostgreSQL ${plan.bins.major}'s client programs (apt-get install postgresql-client-${plan.bins.major})`,
        });
    }
    return { command: (program) => [join(plan.bins.bindir, program)], host: listenAddress(svc.host), port: svc.port };
  }

  async dataSize(services: Service[]): Promise<number | undefined> {
    let total = 0;
    for (const svc of services) {
      if (svc.kind === 'app') continue;
      for (const dir of [this.paths.dataDir(svc.name), this.paths.externalDataDir(svc.name)]) total += await directorySize(dir);
    }
    return total;
  }

  logFile(svc: Service): string {
    return this.paths.logFile(svc.name);
  }

  tailLogs(svc: Service, n: number): Promise<string[]> {
    return tailLines(this.logFile(svc), n);
  }

  /**
   * An app that ended on its own: the first error line of this start's output says why (the
   * last lines are often a stack trace), then the last lines of this start.
   */
  private async appExited(svc: Service, what: string, exit: { code: number | null; signal: string | null }): Promise<TmError> {
    const lines = await startOutput(this.logFile(svc));
    const why = firstErrorLine(lines);
    return new TmError('TM_SERVICE_EXITED', `${svc.name} ${what} (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})${why ? `: ${why}` : ''}`, {
      exit: EXIT.timeout,
      details: lines.slice(-10),
      hint: `tm logs ${svc.name}`,
    });
  }

  async command(svc: Service, argv: string[], opts: CommandOptions): Promise<Launch> {
    const [program = '', ...rest] = argv;
    const client = opts.client ? clientOf(svc) : undefined;
    const at = { host: svc.host === '0.0.0.0' ? '127.0.0.1' : svc.host, port: svc.port ?? 0 };
    const args = [...(client?.connect(at) ?? []), ...rest];
    if (svc.kind === 'app') {
      const env = { ...definedEnv(), ...(await appEnvironment(this.config, svc)) };
      return { file: program, args, env, cwd: resolve(this.config.root, svc.cwd ?? '.') };
    }
    return { file: await this.toolOf(svc, program), args, env: { ...definedEnv(), ...serviceVariables(svc, at) }, cwd: this.config.root };
  }

  /**
   * A database's own tool (psql, pg_dump, redis-cli) from its server's installation: pg_dump
   * refuses a server newer than itself, so the binaries of the data directory's major are the
   * right ones. Any other program is looked up on PATH.
   */
  private async toolOf(svc: Service, program: string): Promise<string> {
    if (program.includes('/')) return program;
    let dir: string | undefined;
    if (svc.kind === 'postgres') dir = (await findPostgres({ wantMajor: (await this.dataVersion(svc)) ?? svc.version, quick: true })).found?.bindir;
    if (svc.kind === 'redis') {
      const server = (await findRedis()).found;
      dir = server ? dirname(server) : undefined;
    }
    return dir && existsSync(join(dir, program)) ? join(dir, program) : program;
  }

  followLogs(services: Service[], onLine: (service: string, line: string) => void, signal: AbortSignal): Promise<void> {
    return followFiles(
      services.map((s) => ({ name: s.name, file: this.logFile(s) })),
      onLine,
      signal,
    );
  }

  /** What each service's PID file says, changing nothing (status() removes stale ones; tm doctor reports them). */
  pidFiles(services: Service[]): Promise<{ name: string; pid: PidState }[]> {
    return Promise.all(services.map(async (svc) => ({ name: svc.name, pid: await checkPidFile(this.paths, svc) })));
  }

  /** Removes a service's PID file if it is stale; true when it did. */
  async removeStalePidFile(svc: Service): Promise<boolean> {
    const pid = await checkPidFile(this.paths, svc);
    if (pid.state !== 'stale') return false;
    await this.forget(svc, pid.record);
    return true;
  }

  /** The major version of a service's Postgres data directory (in the project or outside it), if it has one. */
  async dataVersion(svc: Service): Promise<number | undefined> {
    for (const dir of [this.paths.dataDir(svc.name), this.paths.externalDataDir(svc.name)]) {
      const version = await pg.dataDirVersion(dir);
      if (version !== undefined) return version;
    }
    return undefined;
  }

  /** Servers running on this project's data directories or Redis ports that no PID file knows. */
  async orphans(services: Service[]): Promise<Orphan[]> {
    const running = (await this.pidFiles(services)).flatMap(({ pid }) => (pid.state === 'running' ? [pid.record.pid] : []));
    const dataDirs = services.flatMap((s) => [this.paths.dataDir(s.name), this.paths.externalDataDir(s.name)]);
    const redisPorts = services.filter((s) => s.kind === 'redis').map((s) => s.port);
    return findOrphans(dataDirs, redisPorts, new Set(running));
  }
}
