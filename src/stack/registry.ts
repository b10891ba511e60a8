import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { CONFIG_NAMES } from '../config/find.js';
import type { PortMap, PortMode } from '../config/stack.js';
import { processStartTicks } from '../runtime/native/proc.js';
import { withFileLock } from '../util/file-lock.js';
import { writePrivateFile } from '../util/private-file.js';
import { ensureOwnedDir } from '../util/safe-dir.js';

// The machine's list of stacks (every worktree or clone of every project that ran `tm up`
// here), for `tm ls`, `tm prune`, `tm down --all` and for deciding which stack of a project
// holds taskmaster.yml's ports. A cache of facts, never trusted blindly: an entry whose folder
// is gone is reported as such, and a stack's own .taskmaster/stack.json is checked against it.
// Written atomically (temporary file + rename) while holding a lock, so two `tm up` at once
// never lose each other's entry; readers need no lock.

/** One stack on this machine. */
export interface RegistryEntry {
  /** The stack's folder, symbolic links resolved: the key. */
  path: string;
  /** The project's `name`: stacks of one project share taskmaster.yml's ports. */
  project: string;
  /** The project id (name and a hash of the path): the compose project and native state key. */
  id: string;
  mode: Exclude<PortMode, 'unassigned'>;
  /** The stack's effective host ports, per service and key. */
  ports: PortMap;
  runtime?: 'native' | 'docker';
  registered_at: string;
  up_at?: string;
}

interface RegistryFile {
  version: 1;
  stacks: RegistryEntry[];
}

/** `$XDG_STATE_HOME/taskmaster`, else `~/.local/state/taskmaster`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec ignores a relative value.
  const base = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'taskmaster');
}

export function registryFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'stacks.json');
}

/** The registered stacks, oldest first (none when the file is missing or unreadable). */
export function readRegistry(env: NodeJS.ProcessEnv = process.env): RegistryEntry[] {
  let data: RegistryFile;
  try {
    data = JSON.parse(readFileSync(registryFile(env), 'utf8')) as RegistryFile;
  } catch {
    return [];
  }
  if (data?.version !== 1 || !Array.isArray(data.stacks)) return [];
  return data.stacks.filter((e) => typeof e?.path === 'string' && typeof e.project === 'string' && typeof e.id === 'string' && typeof e.ports === 'object');
}

/**
 * Runs `change` on the entries under the registry lock and writes what it returns (the
 * entries unchanged: nothing is written). The lock is held for the whole read-decide-write,
 * so decisions that depend on the other entries (which stack is first, which ports are free)
 * cannot race.
 */
export async function updateRegistry<T>(
  change: (entries: RegistryEntry[]) => Promise<{ entries: RegistryEntry[]; result: T }>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const file = registryFile(env);
  const dir = dirname(file);
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  // tm's own directory: accepted only as a real directory of this user that others cannot write.
  ensureOwnedDir(dir, 0o700);
  return withFileLock(join(dir, 'stacks.lock'), { what: 'the registry of stacks', startTime: processStartTicks }, async () => {
    const before = readRegistry(env);
    const { entries, result } = await change(before);
    if (entries !== before) await writePrivateFile(file, `${JSON.stringify({ version: 1, stacks: entries } satisfies RegistryFile, null, 2)}\n`);
    return result;
  });
}

/** Whether the stack's folder is still there (with its taskmaster.yml): an entry whose folder is gone is never trusted. */
export function folderExists(entry: Pick<RegistryEntry, 'path'>): boolean {
  return CONFIG_NAMES.some((name) => existsSync(join(entry.path, name)));
}
