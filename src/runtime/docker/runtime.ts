import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import Dockerode from 'dockerode';
import type { Config } from '../../config/load.js';
import type { PostgresService, Service } from '../../config/schema.js';
import { CLIENT_ENV, type ClientTools } from '../../db/admin/copy.js';
import { hostPorts } from '../../catalog/index.js';
import { containerPort } from '../../config/services.js';
import { EXIT, TmError } from '../../errors.js';
import type { Probe } from '../../health/wait-for.js';
// Upward import: containers run from the file `tm render compose` shows, made by one pure
// renderer (render/compose.ts and the template it fills import only config and util).
import { appVariable, composeProject, composeSecrets, renderCompose } from '../../render/compose.js';
import { insideProject } from '../../util/inside.js';
import { writePrivateFile } from '../../util/private-file.js';
import { appEnvironment } from '../app-env.js';
import type { CommandOptions, Runtime, ServiceState, StartOptions, StopResult } from '../types.js';
import { clientOf, serviceVariables } from '../../config/clients.js';
import { definedEnv, type Launch } from '../../util/foreground.js';
import { compose, composeVersion, type ComposeTarget } from './compose.js';
import type { Engine } from './detect.js';

/** One container of the project, as the engine reports it. */
interface ContainerFacts {
  id: string;
  service: string;
  state: string;
  health?: string;
  exitCode?: number;
  restarts: number;
  pid?: number;
  startedAt?: string;
  /** Published ports: container port -> host port. */
  ports: Map<number, number>;
}

/**
 * Services in containers: `docker compose` (the real CLI) creates and removes them from a
 * rendered compose file; dockerode reads their state and logs.
 */
export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  readonly project: string;
  readonly composeFile: string;
  /** The project's own compose file (docker.compose_file), used as it is. */
  private readonly ownFile?: string;
  private client?: Dockerode;

  constructor(
    private readonly config: Config,
    readonly engine: Engine,
  ) {
    this.project = composeProject(config);
    this.ownFile = config.docker.compose_file ? resolve(config.root, config.docker.compose_file) : undefined;
    this.composeFile = this.ownFile ?? join(config.root, '.taskmaster', 'compose.yml');
  }

  private async docker(): Promise<Dockerode> {
    if (!this.client) {
      this.client = new Dockerode(this.engine.socketPath ? { socketPath: this.engine.socketPath } : { host: this.engine.hostname, port: this.engine.port });
    }
    return this.client;
  }

  /** Containers of this compose project (or of one service), by service name (inspect gives health and restarts). */
  private async containers(only?: string): Promise<Map<string, ContainerFacts>> {
    const docker = await this.docker();
    const labels = [`com.docker.compose.project=${this.project}`, ...(only ? [`com.docker.compose.service=${only}`] : [])];
    const list = await docker.listContainers({ all: true, filters: { label: labels } });
    const out = new Map<string, ContainerFacts>();
    await Promise.all(
      list.map(async (c) => {
        const service = c.Labels['com.docker.compose.service'];
        if (!service) return;
        const info = await docker.getContainer(c.Id).inspect();
        out.set(service, {
          id: c.Id,
          service,
          state: info.State.Status,
          health: info.State.Health?.Status,
          exitCode: info.State.Status === 'exited' ? info.State.ExitCode : undefined,
          restarts: info.RestartCount ?? 0,
          pid: info.State.Pid || undefined,
          startedAt: info.State.StartedAt,
          ports: new Map(c.Ports.filter((p) => p.PublicPort).map((p) => [p.PrivatePort, p.PublicPort])),
        });
      }),
    );
    return out;
  }

  async status(services: Service[]): Promise<ServiceState[]> {
    const containers = await this.containers();
    return services.map((svc): ServiceState => {
      if (svc.kind === 'app' && !svc.build && !svc.image)
        return { name: svc.name, kind: svc.kind, state: 'unmanaged', port: svc.port, detail: 'no build: or image: for the docker runtime' };
      const c = containers.get(svc.name);
      if (!c) return { name: svc.name, kind: svc.kind, state: 'stopped', port: svc.port, detail: 'no container' };
      const running = c.state === 'running';
      const inside = hostPorts(svc, 'docker')[0]?.container;
      return {
        name: svc.name,
        kind: svc.kind,
        state: running ? 'running' : 'stopped',
        pid: c.pid,
        // What the engine publishes (the project's own compose file may map other ports).
        port: (inside !== undefined ? c.ports.get(inside) : undefined) ?? c.ports.values().next().value ?? svc.port,
        startedAt: running ? c.startedAt : undefined,
        container: { id: c.id.slice(0, 12), state: c.state, health: c.health, exit_code: c.exitCode, restarts: c.restarts },
        exit_code: c.exitCode,
        detail: running ? undefined : `container ${c.state}${c.exitCode !== undefined ? ` (exit code ${c.exitCode})` : ''}`,
      };
    });
  }

  async preflight(services: Service[]): Promise<void> {
    await composeVersion({ ...process.env, DOCKER_HOST: this.engine.host });
    const docker = await this.docker();
    for (const svc of services) {
      if (!svc.image || (svc.kind === 'app' && svc.build)) continue;
      const present = await docker
        .getImage(svc.image)
        .inspect()
        .then(
          () => true,
          () => false,
        );
      if (present) continue;
      // Not here: compose would pull it. Try now, so the error names the image and the fix.
      await compose(await this.prepareCompose(), ['pull', '--quiet', svc.name]).catch((err: TmError) => {
        throw new TmError('TM_IMAGE_UNAVAILABLE', `image ${svc.image} (services.${svc.name}.image) is not on this machine and cannot be pulled`, {
          exit: EXIT.runtime,
          details: err.details,
          hint:
            `docker pull ${svc.image} where a registry is reachable (or docker load ` +
            `it), or set services.${svc.name}.image to an image you have (docker images)`,
          cause: err,
        });
      });
    }
  }

  /**
   * The compose file to run and the values it refers to by variable: the apps' environments
   * are computed first, then tm's file is rendered from them (the project's own file is used
   * as it is).
   */
  private async prepareCompose(): Promise<ComposeTarget> {
    const passwords = composeSecrets(this.config.services);
    if (this.ownFile) {
      if (!existsSync(this.ownFile)) {
        throw new TmError('TM_COMPOSE_FILE_MISSING', `docker.compose_file is ${this.config.docker.compose_file}, which does not exist`, {
          exit: EXIT.config,
          hint: 'fix the path, or remove docker.compose_file to let tm render one (tm render compose shows it)',
        });
      }
      return { engine: this.engine, project: this.project, file: this.ownFile, secrets: passwords };
    }
    const apps = await appEnvironments(this.config);
    // The file lives in .taskmaster/, so build contexts are one level up.
    await mkdir(dirname(insideProject(this.config.root, this.composeFile)), { recursive: true });
    await writePrivateFile(this.composeFile, renderCompose(this.config, this.config.services, { appEnvKeys: apps.keys, buildBase: '..' }));
    return { engine: this.engine, project: this.project, file: this.composeFile, secrets: { ...passwords, ...apps.values } };
  }

  async start(services: Service[], opts: StartOptions): Promise<void> {
    const target = await this.prepareCompose();
    const build = services.some((s) => s.kind === 'app' && s.build) ? ['--build'] : [];
    opts.onProgress?.(`docker compose up -d ${build.join(' ')} ${services.map((s) => s.name).join(' ')}`.replace('  ', ' '));
    // --no-deps: tm starts level by level and has already waited for what these depend on;
    // without it compose would start a finished one-shot dependency again.
    await compose(target, ['up', '-d', '--no-deps', '--remove-orphans', ...build, ...services.map((s) => s.name)], opts.signal);
  }

  async stop(services: Service[]): Promise<StopResult[]> {
    const before = await this.containers();
    const names = services.map((s) => s.name);
    const all = this.config.services.filter((s) => s.kind !== 'app' || s.build || s.image).every((s) => names.includes(s.name));
    const killed = new Set<string>();
    if (before.size > 0) {
      const target = await this.prepareCompose();
      // Stopped first (SIGTERM, SIGKILL after stop_grace_period), so the exit codes tell which
      // ones had to be killed (137) before the containers are removed.
      const running = names.filter((n) => before.get(n)?.state === 'running');
      if (running.length > 0) await compose(target, ['stop', ...running]);
      for (const [name, facts] of await this.containers()) if (running.includes(name) && facts.exitCode === 137) killed.add(name);
      await compose(target, all ? ['down'] : ['rm', '--stop', '--force', ...names]);
    }
    return services.map((s) => ({
      name: s.name,
      result: killed.has(s.name) ? 'killed' : before.get(s.name)?.state === 'running' ? 'stopped' : 'not running',
    }));
  }

  async removeData(services: Service[]): Promise<void> {
    const target = await this.prepareCompose();
    const names = services.map((s) => s.name);
    const stateful = this.config.services.filter((s) => s.kind !== 'app');
    if (stateful.every((s) => names.includes(s.name))) {
      // All of it: `down --volumes` removes the project's named volumes, its network and the images it built.
      await compose(target, ['down', '--volumes', '--remove-orphans', '--rmi', 'local']);
      return;
    }
    // Some services only: their containers (with anonymous volumes), then the named volumes
    // that they alone mount; what other services use stays.
    await compose(target, ['rm', '--stop', '--force', '--volumes', ...names]);
    const docker = await this.docker();
    for (const volume of await volumesOnlyOf(target, names)) {
      await docker
        .getVolume(volume)
        .remove()
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404) throw err;
        });
    }
  }

  async clientTools(svc: PostgresService): Promise<ClientTools> {
    const c = (await this.containers(svc.name)).get(svc.name);
    if (c?.state !== 'running')
      throw new TmError('TM_SERVICE_STOPPED', `${svc.name} of ${this.project} is not running`, { exit: EXIT.runtime, hint: `tm up ${svc.name}` });
    // The image's own pg_dump and pg_restore, reaching the server inside its container; the
    // connection variables pass through `-e NAME` (no value on the command line).
    return {
      command: (program) => ['docker', 'exec', '-i', ...CLIENT_ENV.flatMap((name) => ['-e', name]), c.id, program],
      host: '127.0.0.1',
      port: containerPort(svc)!,
      env: { DOCKER_HOST: this.engine.host },
    };
  }

  async dataSize(): Promise<number | undefined> {
    const df = await diskUsage(this.engine.host, await this.docker());
    if (!df?.Volumes) return undefined;
    return df.Volumes.filter((v) => v.Labels?.['com.docker.compose.project'] === this.project).reduce((sum, v) => sum + Math.max(0, v.UsageData?.Size ?? 0), 0);
  }

  guard(svc: Service, probe: Probe): Probe {
    return {
      ...probe,
      check: async (timeoutMs) => {
        try {
          await probe.check(timeoutMs);
        } catch (err) {
          const c = (await this.containers(svc.name)).get(svc.name);
          if (c && (c.state === 'exited' || c.state === 'dead')) throw await this.exitedError(svc, c, 'during start');
          throw err;
        }
      },
    };
  }

  jobFinished(svc: Service): Probe {
    return {
      name: svc.name,
      target: `${svc.name} container exiting with code 0`,
      check: async () => {
        const c = (await this.containers(svc.name)).get(svc.name);
        if (!c) throw new Error('no container');
        if (c.state !== 'exited' && c.state !== 'dead') throw new Error(`still ${c.state}`);
        if (c.exitCode !== 0) throw await this.exitedError(svc, c, 'before completing');
      },
    };
  }

  /** A container that ended while tm up waited for it: exit 5, like a native process, with its last lines. */
  private async exitedError(svc: Service, c: ContainerFacts, when: string): Promise<TmError> {
    return new TmError('TM_SERVICE_EXITED', `${svc.name} container exited ${when} (exit code ${c.exitCode})`, {
      exit: EXIT.timeout,
      details: await this.tailLogs(svc, 10),
      hint: `tm logs ${svc.name}`,
    });
  }

  async tailLogs(svc: Service, n: number): Promise<string[]> {
    const c = (await this.containers(svc.name)).get(svc.name);
    if (!c) return [];
    const docker = await this.docker();
    const buf = (await docker.getContainer(c.id).logs({ stdout: true, stderr: true, tail: n, follow: false })) as unknown as Buffer;
    return splitLines(demux(buf));
  }

  async command(svc: Service, argv: string[], opts: CommandOptions): Promise<Launch> {
    const target = await this.prepareCompose();
    const [program = '', ...rest] = argv;
    // Inside the container the server listens on the image's port; its variables name it.
    const at = { host: '127.0.0.1', port: containerPort(svc) ?? 0 };
    const client = opts.client ? clientOf(svc) : undefined;
    const vars = serviceVariables(svc, at);
    // `-e NAME` without a value: compose takes the value from its own environment, so no
    // password is among the arguments of the docker processes.
    const names = Object.keys(vars).flatMap((k) => ['-e', k]);
    return {
      file: 'docker',
      args: [
        'compose',
        '-p',
        target.project,
        '-f',
        target.file,
        'exec',
        ...(opts.tty ? [] : ['-T']),
        ...names,
        svc.name,
        program,
        ...(client?.connect(at) ?? []),
        ...rest,
      ],
      env: { ...definedEnv(), DOCKER_HOST: this.engine.host, ...target.secrets, ...vars },
    };
  }

  async followLogs(services: Service[], onLine: (service: string, line: string) => void, signal: AbortSignal): Promise<void> {
    const containers = await this.containers();
    const docker = await this.docker();
    await Promise.all(
      services.map(async (svc) => {
        const c = containers.get(svc.name);
        if (!c) return;
        const stream = (await docker
          .getContainer(c.id)
          .logs({ stdout: true, stderr: true, follow: true, since: Math.floor(Date.now() / 1000) })) as NodeJS.ReadableStream & { destroy(): void };
        const out = new PassThrough();
        docker.modem.demuxStream(stream, out, out);
        let partial = '';
        out.on('data', (d: Buffer) => {
          const lines = (partial + d.toString('utf8')).split('\n');
          partial = lines.pop()!;
          for (const line of lines) onLine(svc.name, line);
        });
        await new Promise<void>((resolve) => {
          signal.addEventListener(
            'abort',
            () => {
              stream.destroy();
              resolve();
            },
            { once: true },
          );
          stream.on('end', () => resolve());
        });
      }),
    );
  }
}

/** The engine's names of the named volumes that `services`, and no other service of the file, mount. */
async function volumesOnlyOf(target: ComposeTarget, services: string[]): Promise<string[]> {
  const model = JSON.parse(await compose(target, ['config', '--format', 'json'])) as {
    services?: Record<string, { volumes?: { type?: string; source?: string }[] }>;
    volumes?: Record<string, { name?: string; external?: boolean }>;
  };
  const mounts = (svc: string) => (model.services?.[svc]?.volumes ?? []).filter((v) => v.type === 'volume' && v.source).map((v) => v.source!);
  const keep = new Set(
    Object.keys(model.services ?? {})
      .filter((s) => !services.includes(s))
      .flatMap(mounts),
  );
  const out = new Set<string>();
  for (const key of services.flatMap(mounts)) {
    const volume = model.volumes?.[key];
    if (keep.has(key) || !volume || volume.external) continue;
    out.add(volume.name ?? `${target.project}_${key}`);
  }
  return [...out];
}

/**
 * Each app's environment for compose: the variable names its service lists, and their values,
 * handed to compose by variable (no value is written into the file; some are secrets). A
 * generic service's own `env:` goes the same way (never the env contract: that is the apps').
 */
async function appEnvironments(config: Config): Promise<{ keys: Record<string, string[]>; values: Record<string, string> }> {
  const keys: Record<string, string[]> = {};
  const values: Record<string, string> = {};
  for (const svc of config.services) {
    if (svc.kind === 'generic') for (const [k, v] of Object.entries(svc.env)) values[appVariable(svc, k)] = v;
    if (svc.kind !== 'app' || !(svc.build || svc.image)) continue;
    const env = await appEnvironment(config, svc, { inContainer: true });
    keys[svc.name] = Object.keys(env).sort();
    for (const [k, v] of Object.entries(env)) values[appVariable(svc, k)] = v;
  }
  return { keys, values };
}

/** Docker's multiplexed log format: 8-byte frame headers (stream, 0, 0, 0, size). */
function demux(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return i === 0 && buf.length > 0 ? buf.toString('utf8') : out;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

interface DiskUsage {
  Volumes?: { Labels?: Record<string, string> | null; UsageData?: { Size?: number } }[];
}

const diskUsages = new Map<string, Promise<DiskUsage | undefined>>();

/**
 * The engine's /system/df (every volume's size), one call per engine for all the stacks this
 * process asks about: the engine refuses a second one while the first runs (HTTP 500 "a disk
 * usage operation is already running"), so a call another program made is waited for once.
 */
function diskUsage(host: string, docker: Dockerode): Promise<DiskUsage | undefined> {
  let pending = diskUsages.get(host);
  if (!pending) {
    const once = () => docker.df() as Promise<DiskUsage>;
    pending = once()
      .catch(async (err: Error) => {
        if (!/already running/.test(err.message)) throw err;
        await new Promise((r) => setTimeout(r, 500));
        return once();
      })
      .catch(() => undefined);
    diskUsages.set(host, pending);
  }
  return pending;
}
