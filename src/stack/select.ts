import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config/load.js';
import { type RuntimeName, runtimeName } from '../config/runtime-name.js';
import { EXIT, TmError } from '../errors.js';
import { detectEngine } from '../runtime/docker/detect.js';
import type { Rejection } from '../runtime/native/binaries.js';
import { nativePaths } from '../runtime/native/paths.js';
import type { NativeRuntime } from '../runtime/native/runtime.js';
import type { Runtime } from '../runtime/types.js';
import { insideProject } from '../util/inside.js';
import { writePrivateFile } from '../util/private-file.js';

export interface Selection {
  runtime: Runtime;
  /** Why this runtime: "--runtime flag", "auto: docker engine at /var/run/docker.sock"... */
  reason: string;
  /** Docker engine candidates that did not answer (for `tm doctor`). */
  rejected: Rejection[];
  /** Said before tm up starts anything: this runtime has its own data, not the other's. */
  warning?: string;
}

/**
 * What the command does with the services: `start` them (tm up, tm ci), act on the `running`
 * ones (status, down, restart, logs, doctor), or neither (reading the choice only).
 */
export type Purpose = 'start' | 'running';

/**
 * The runtime a command acts on. Services run where the last tm up started them (recorded in
 * `.taskmaster/runtime.json`), which may not be the configured runtime (`tm up --runtime
 * native` in a `runtime: docker` project): without `--runtime`, a command on running services
 * acts there. tm up refuses to start a second copy in one runtime while the services run in
 * the other, and warns when it switches away from the runtime that holds the data.
 */
export async function runtimeFor(config: Config, flag: RuntimeName | undefined, purpose: Purpose, env: NodeJS.ProcessEnv = process.env): Promise<Selection> {
  const chosen = await selectRuntime(config, flag, env);
  const last = await lastRuntime(config);
  if (!last || last === chosen.runtime.name) return chosen;
  const other = await otherRuntime(config, chosen.runtime, env);
  const running = other ? await runningIn(other, config) : [];
  if (purpose === 'running') {
    if (flag || !other || running.length === 0) return chosen;
    return { ...chosen, runtime: other, reason: `${running.join(', ')} run on the ${other.name} runtime (its last tm up)` };
  }
  if (running.length > 0) {
    throw new TmError(
      'TM_RUNTIME_SWITCH',
      `${running.join(', ')} run on the ${last} runtime: starting them on ${chosen.runtime.name} (${chosen.reason}) would run a second copy on other data`,
      { exit: EXIT.runtime, hint: `stop them first with tm down, or keep the ${last} runtime: tm up --runtime ${last}` },
    );
  }
  const where = last === 'docker' ? 'Docker volumes' : "the native runtime's data directories";
  return {
    ...chosen,
    warning: `this project last ran on ${last}: its data stays in ${where}; ${chosen.runtime.name} uses its own (empty the first time). tm up --runtime ${last} goes back to it`,
  };
}

/** The runtime that is not `current`, when it can be asked (Docker needs an engine). */
async function otherRuntime(config: Config, current: Runtime, env: NodeJS.ProcessEnv): Promise<Runtime | undefined> {
  if (current.name === 'docker') {
    const { NativeRuntime } = await import('../runtime/native/runtime.js');
    return new NativeRuntime(config);
  }
  const { detectEngine } = await import('../runtime/docker/detect.js');
  const { engine } = await detectEngine(env);
  if (!engine) return undefined;
  const { DockerRuntime } = await import('../runtime/docker/runtime.js');
  return new DockerRuntime(config, engine);
}

/** The services running in `runtime`; read-only (stale native PID files stay for tm doctor --fix). */
async function runningIn(runtime: Runtime, config: Config): Promise<string[]> {
  if (runtime.name === 'native')
    return (await (runtime as NativeRuntime).pidFiles(config.services)).filter((p) => p.pid.state === 'running').map((p) => p.name);
  return (await runtime.status(config.services).catch(() => [])).filter((s) => s.state === 'running').map((s) => s.name);
}

/** `--runtime`, then TM_RUNTIME, then config, then auto-detection (docker if an engine answers). */
export async function selectRuntime(config: Config, flag?: RuntimeName, env: NodeJS.ProcessEnv = process.env): Promise<Selection> {
  const [value, source] = flag ? [flag, '--runtime flag'] : env.TM_RUNTIME ? [env.TM_RUNTIME, 'TM_RUNTIME'] : [config.runtime, 'taskmaster.yml'];
  const choice = runtimeName(value, source);
  // Lazy: only the chosen runtime's module is loaded (the Docker one brings compose rendering and yaml).
  const native = async (reason: string, rejected: Rejection[] = []): Promise<Selection> => {
    const { NativeRuntime } = await import('../runtime/native/runtime.js');
    return { runtime: new NativeRuntime(config), reason, rejected };
  };
  if (choice === 'native') return native(source);

  const { engine, rejected } = await detectEngine(env);
  const docker = async (reason: string): Promise<Selection> => {
    const { DockerRuntime } = await import('../runtime/docker/runtime.js');
    return { runtime: new DockerRuntime(config, engine!), reason, rejected };
  };
  if (choice === 'docker') {
    if (engine) return docker(`${source} (engine at ${engine.host})`);
    const denied = rejected.find((r) => r.reason.startsWith('permission denied'));
    throw new TmError(
      'TM_RUNTIME_UNAVAILABLE',
      `the docker runtime was requested (${source}) but ` +
        `${denied ? `${denied.reason.replace(/ \(.*$/, '')}: this user may not use the Docker engine` : 'no Docker engine answers'}`,
      {
        exit: EXIT.runtime,
        details: rejected.map((r) => `${r.source}: ${r.reason}`),
        hint: rejected.some((r) => r.reason.includes('permission denied'))
          ? 'add your user to the docker group (usermod -aG docker $USER) and log in again'
          : 'start Docker (or Colima / podman), set DOCKER_HOST, or use --runtime native',
      },
    );
  }

  // auto: a project keeps the runtime that holds its data.
  const last = await lastRuntime(config);
  if (last === 'native' && hasNativeData(config))
    return native('auto: this project has data in the native runtime (pass --runtime docker to switch)', rejected);
  if (last === 'docker' && !engine) {
    throw new TmError('TM_RUNTIME_UNAVAILABLE', 'this project runs on Docker (its data is in Docker volumes), but no Docker engine answers', {
      exit: EXIT.runtime,
      details: rejected.map((r) => `${r.source}: ${r.reason}`),
      hint: 'start Docker, or pass --runtime native to start from empty local data',
    });
  }
  if (engine) return docker(`auto: Docker engine ${engine.version ?? ''} at ${engine.host} (${engine.source})`.replace('  ', ' '));
  return native(`auto: no Docker engine answers (${rejected.map((r) => r.source).join(', ')})`, rejected);
}

function hasNativeData(config: Config): boolean {
  const paths = nativePaths(config);
  return config.services.some((s) => existsSync(paths.dataDir(s.name)) || existsSync(paths.externalDataDir(s.name)));
}

/** Remembers which runtime a project last used (`.taskmaster/runtime.json`). */
export async function recordRuntime(config: Config, name: string): Promise<void> {
  const file = insideProject(config.root, join('.taskmaster', 'runtime.json'));
  await mkdir(dirname(file), { recursive: true });
  await writePrivateFile(file, `${JSON.stringify({ runtime: name, projectId: config.projectId }, null, 2)}\n`);
}

export async function lastRuntime(config: Config): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(config.root, '.taskmaster', 'runtime.json'), 'utf8')) as { runtime?: string }).runtime;
  } catch {
    return undefined;
  }
}
