import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig, type Config } from '../config/load.js';
import { portMap, stackPath, type PortMap } from '../config/stack.js';
import { errorText } from '../errors.js';
import type { Runtime, StopResult } from '../runtime/types.js';
import { down } from './down.js';
import { folderExists, readRegistry, type RegistryEntry } from './registry.js';
import { selectRuntime } from './select.js';

// Every stack of every project on this machine, as `tm ls` shows them: the registry says
// where they are; their state, ports and data are read again from each folder and its runtime.

const run = promisify(execFile);

export interface StackInfo {
  project: string;
  path: string;
  /** The folder's git branch (`detached <sha>`), if it is a git checkout. */
  branch?: string;
  runtime?: string;
  /** How its ports were decided (see config/stack.ts). */
  mode: string;
  ports: PortMap;
  /** `gone`: its folder was deleted (tm prune removes what is left); `unknown`: it could not be inspected (`problem` says why). */
  state: 'running' | 'partial' | 'stopped' | 'gone' | 'unknown';
  uptime_s?: number;
  /** Bytes its data takes on disk (data directories, volumes). */
  data_bytes?: number;
  problem?: string;
  /** The stack of the folder tm runs in. */
  current: boolean;
}

/** Every registered stack, checked again: oldest first. */
export async function listStacks(opts: { cwd: string; env?: NodeJS.ProcessEnv; now?: number }): Promise<StackInfo[]> {
  const here = stackPath(opts.cwd);
  return Promise.all(readRegistry(opts.env).map((entry) => inspect(entry, here, opts.env ?? process.env, opts.now ?? Date.now())));
}

async function inspect(entry: RegistryEntry, here: string, env: NodeJS.ProcessEnv, now: number): Promise<StackInfo> {
  const base = {
    project: entry.project,
    path: entry.path,
    runtime: entry.runtime,
    mode: entry.mode,
    ports: entry.ports,
    current: here === entry.path || here.startsWith(`${entry.path}/`),
  };
  if (!folderExists(entry)) return { ...base, state: 'gone' };
  const branch = await gitBranch(entry.path);
  let opened: Opened;
  try {
    opened = await open(entry, env);
  } catch (err) {
    return { ...base, branch, state: 'unknown', problem: errorText(err) };
  }
  const { config, runtime } = opened;
  const [states, data] = await Promise.all([runtime.status(config.services), runtime.dataSize(config.services).catch(() => undefined)]);
  const managed = states.filter((s) => s.state !== 'unmanaged');
  const running = managed.filter((s) => s.state === 'running');
  const started = running.map((s) => Date.parse(s.startedAt ?? '')).filter(Number.isFinite);
  return {
    ...base,
    branch,
    runtime: runtime.name,
    mode: config.stack.mode,
    ports: portMap(config.services),
    state: running.length === 0 ? 'stopped' : running.length === managed.length ? 'running' : 'partial',
    uptime_s: started.length ? Math.max(0, Math.round((now - Math.min(...started)) / 1000)) : undefined,
    data_bytes: data,
  };
}

interface Opened {
  config: Config;
  runtime: Runtime;
}

/** A stack's config (with its own ports) and the runtime it last used. */
async function open(entry: RegistryEntry, env: NodeJS.ProcessEnv): Promise<Opened> {
  const config = await loadConfig({ cwd: entry.path, env });
  const { runtime } = await selectRuntime(config, entry.runtime, env);
  return { config, runtime };
}

async function gitBranch(path: string): Promise<string | undefined> {
  const git = (args: string[]) =>
    run('git', ['-C', path, ...args]).then(
      (r) => r.stdout.trim(),
      () => '',
    );
  const branch = await git(['symbolic-ref', '--short', '-q', 'HEAD']);
  if (branch) return branch;
  const sha = await git(['rev-parse', '--short', 'HEAD']);
  return sha ? `detached ${sha}` : undefined;
}

export interface StackDown {
  project: string;
  path: string;
  services?: StopResult[];
  /** Why it was not stopped (its config does not load, its runtime does not answer). */
  error?: string;
}

/** `tm down --all`: stops every stack whose folder is still there (their data stays). */
export async function downAll(opts: { env?: NodeJS.ProcessEnv; onProgress?: (m: string) => void } = {}): Promise<StackDown[]> {
  const out: StackDown[] = [];
  for (const entry of readRegistry(opts.env).filter(folderExists)) {
    try {
      const { config, runtime } = await open(entry, opts.env ?? process.env);
      opts.onProgress?.(`stopping ${entry.project} in ${entry.path}`);
      out.push({ project: entry.project, path: entry.path, services: (await down(runtime, config.services, { onProgress: opts.onProgress })).services });
    } catch (err) {
      out.push({ project: entry.project, path: entry.path, error: errorText(err) });
    }
  }
  return out;
}
