import { composeProject } from '../config/load.js';
import { detectEngine, type Engine } from '../runtime/docker/detect.js';
import { dockerLeftovers, removeDockerLeftovers, type DockerLeftovers } from '../runtime/docker/leftovers.js';
import { nativeLeftovers, removeNativeLeftovers, type NativeLeftovers } from '../runtime/native/leftovers.js';
import { folderExists, readRegistry, updateRegistry, type RegistryEntry } from './registry.js';

// `tm prune`: the stacks whose folder is gone (after `git worktree remove`), with what is
// left of them elsewhere: running servers and apps, containers, volumes and networks, data
// directories outside the folder (their databases live in those). Planned first, so the
// command can show it and ask; then removed, and the stacks leave the registry.

export interface PruneItem {
  project: string;
  path: string;
  native: NativeLeftovers;
  /** Undefined when no Docker engine answers (its containers, if any, could not be looked for). */
  docker?: DockerLeftovers;
}

export interface PrunePlan {
  stacks: PruneItem[];
  engine?: Engine;
}

/** What pruning would remove, changing nothing. */
export async function planPrune(env: NodeJS.ProcessEnv = process.env): Promise<PrunePlan> {
  const gone = readRegistry(env).filter((e) => !folderExists(e));
  if (gone.length === 0) return { stacks: [] };
  const { engine } = await detectEngine(env);
  const stacks = await Promise.all(
    gone.map(
      async (e): Promise<PruneItem> => ({
        project: e.project,
        path: e.path,
        native: await nativeLeftovers(e.path, e.id),
        docker: engine ? await dockerLeftovers(engine, composeProject({ projectId: e.id })) : undefined,
      }),
    ),
  );
  return { stacks, engine };
}

/** One line per thing a stack leaves, for the question and the report. */
export function describeItem(item: PruneItem): string[] {
  const { native, docker } = item;
  return [
    ...native.processes.map((p) => `${p.kind} process ${p.pid} (${p.command.slice(0, 60)})`),
    ...native.dirs.map((d) => `data directory ${d}`),
    ...(docker?.containers ?? []).map((c) => `container ${c.name} (${c.state})`),
    ...(docker?.volumes ?? []).map((v) => `volume ${v}`),
    ...(docker?.networks ?? []).map((n) => `network ${n}`),
  ];
}

/** Removes what the plan found and the stacks' entries (a stack whose folder came back meanwhile is kept). */
export async function prune(plan: PrunePlan, env: NodeJS.ProcessEnv = process.env): Promise<PruneItem[]> {
  const done: PruneItem[] = [];
  for (const item of plan.stacks) {
    if (folderExists(item)) continue;
    await removeNativeLeftovers(item.native);
    if (item.docker && plan.engine) await removeDockerLeftovers(plan.engine, item.docker);
    done.push(item);
  }
  const removed = new Set(done.map((d) => d.path));
  await updateRegistry(async (entries: RegistryEntry[]) => {
    const left = entries.filter((e) => !(removed.has(e.path) && !folderExists(e)));
    return { entries: left.length === entries.length ? entries : left, result: undefined };
  }, env);
  return done;
}
