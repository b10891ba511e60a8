import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostPorts } from '../config/host-ports.js';
import { listenAddress } from '../config/listen.js';
import type { Config } from '../config/load.js';
import type { RuntimeName } from '../config/runtime-name.js';
import { readStackRecord, STACK_FILE, stackPath, type PortMap, type StackRecord } from '../config/stack.js';
import { EXIT, TmError } from '../errors.js';
import { isPortFree, portHolder } from '../runtime/ports.js';
import type { Runtime } from '../runtime/types.js';
import { insideProject } from '../util/inside.js';
import { writePrivateFile } from '../util/private-file.js';
import { folderExists, readRegistry, updateRegistry, type RegistryEntry } from './registry.js';
import { selectRuntime } from './select.js';

/** Where allocated blocks live: below Linux's ephemeral range (32768-60999), where the OS hands out client ports. */
export const BLOCK_FIRST = 20000;
const BLOCK_LAST = 32767;
/** Ports per block: room for a stack's services to grow a little without moving. */
export const BLOCK_SIZE = 10;

export interface Claim {
  mode: 'configured' | 'allocated' | 'fixed';
  /** The stack's effective host ports. */
  ports: PortMap;
  /** True when this run decided or changed them (the config must be loaded again). */
  changed: boolean;
  /** For a stack that got a block: why (the stack holding taskmaster.yml's ports, or what holds them). */
  reason?: string;
  /** The project's first stack (holding taskmaster.yml's ports), when it is another one. */
  first?: string;
}

export interface ClaimOptions {
  /** `--ports fixed`: taskmaster.yml's ports for this stack, whatever else runs. */
  ports?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Decides this stack's ports and registers it, under the registry lock (two `tm up` in two
 * worktrees at once take turns): a stack that already has ports keeps them; a new one gets
 * taskmaster.yml's when no other live stack of the project holds them and they are free (or
 * held by this stack's own services), else the lowest block that no registered stack uses and
 * nothing listens on. `ports: fixed` (or `--ports fixed`) always takes taskmaster.yml's.
 */
export async function claimStack(config: Config, runtime: Runtime, opts: ClaimOptions = {}): Promise<Claim> {
  if (opts.ports !== undefined && opts.ports !== 'auto' && opts.ports !== 'fixed') {
    throw new TmError('TM_USAGE', `--ports ${opts.ports}: expected auto or fixed`, {
      exit: EXIT.usage,
      hint: 'tm up --ports fixed uses the ports of taskmaster.yml',
    });
  }
  const fixed = config.ports === 'fixed' || opts.ports === 'fixed';
  const path = stackPath(config.root);
  const configured = config.stack.configured;
  const record = readStackRecord(config.root);
  return updateRegistry(async (entries) => {
    const others = entries.filter((e) => e.path !== path);
    const siblings = others.filter((e) => e.project === config.name && folderExists(e));
    const first = siblings.find((e) => e.mode !== 'allocated');
    let claim: Claim;
    if (fixed) claim = { mode: 'fixed', ports: configured, changed: record?.ports !== null };
    else if (record?.ports === null) claim = { mode: 'configured', ports: configured, changed: false };
    else if (record?.ports) {
      // Services added since the block was allocated get ports too; the others keep theirs.
      const missing = missingPorts(configured, record.ports);
      const ports = missing.length === 0 ? record.ports : await extend(record.ports, missing, reserved(others));
      claim = { mode: 'allocated', ports, changed: missing.length > 0 };
    } else {
      const taken = first ? undefined : await takenConfigured(config, runtime);
      if (!first && !taken) claim = { mode: 'configured', ports: configured, changed: true };
      else {
        const ports = await allocate(configured, reserved(others), path);
        const reason = first
          ? `taskmaster.yml's ports belong to the stack in ${first.path}`
          : `taskmaster.yml's port ${taken!.port} (${taken!.service}) is taken by ${await holderText(taken!.port)}`;
        claim = { mode: 'allocated', ports, changed: true, reason };
      }
    }
    if (first && claim.mode === 'allocated') claim.first = first.path;
    if (claim.changed || !record) await writeRecord(config, { version: 1, path, ports: claim.mode === 'allocated' ? claim.ports : null, data: record?.data });
    const previous = entries.find((e) => e.path === path);
    const entry: RegistryEntry = {
      path,
      project: config.name,
      id: config.projectId,
      mode: claim.mode,
      ports: claim.ports,
      runtime: runtime.name,
      registered_at: previous?.registered_at ?? new Date().toISOString(),
      up_at: new Date().toISOString(),
    };
    // A re-registered stack keeps its place: "first registered" is the order of this list.
    const next = previous ? entries.map((e) => (e === previous ? entry : e)) : [...entries, entry];
    return { entries: next, result: claim };
  }, opts.env);
}

/**
 * The stack's ports claimed before anything starts (and before .env is written with them):
 * the config is loaded again when they changed. Without a runtime there is nothing to claim
 * yet: the step that starts services reports that.
 */
export async function claimPorts(
  config: Config,
  opts: ClaimOptions & { runtime?: RuntimeName; reload: () => Promise<Config> },
): Promise<{ config: Config; claim?: Claim }> {
  const selection = await selectRuntime(config, opts.runtime, opts.env).catch(() => undefined);
  if (!selection) return { config };
  const claim = await claimStack(config, selection.runtime, opts);
  return { config: claim.changed ? await opts.reload() : config, claim };
}

/**
 * For a stack that has not been up yet, the other stack of the project that holds
 * taskmaster.yml's ports: talking to "its" services now would reach that one's.
 */
export function configuredPortsHolder(config: Config, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (config.stack.mode !== 'unassigned') return undefined;
  const self = stackPath(config.root);
  return readRegistry(env).find((e) => e.project === config.name && e.path !== self && e.mode !== 'allocated' && folderExists(e))?.path;
}

/** Refuses a command that would talk to this stack's services before it has ports of its own (see configuredPortsHolder). */
export function requireOwnPorts(config: Config, command: string, env: NodeJS.ProcessEnv = process.env): void {
  const holder = configuredPortsHolder(config, env);
  if (!holder) return;
  throw new TmError(
    'TM_STACK_NOT_UP',
    `${command} here would reach the stack in ${holder}: taskmaster.yml's ports are its, and this stack has none of its own yet`,
    {
      exit: EXIT.runtime,
      hint: `tm up gives this stack its own ports (and a copy of the data); or tm -C ${holder} ${command.replace(/^tm /, '')}`,
    },
  );
}

/** The stack's record in .taskmaster/stack.json (inside the project, atomically). */
export async function writeRecord(config: Pick<Config, 'root'>, record: StackRecord): Promise<void> {
  const file = insideProject(config.root, STACK_FILE);
  await mkdir(dirname(file), { recursive: true });
  await writePrivateFile(file, `${JSON.stringify(record, null, 2)}\n`);
}

/** A configured port that is in use by something other than this stack's own running service. */
async function takenConfigured(config: Config, runtime: Runtime): Promise<{ service: string; port: number } | undefined> {
  const states = await runtime.status(config.services).catch(() => []);
  for (const svc of config.services) {
    const running = states.find((s) => s.name === svc.name)?.state === 'running';
    for (const { port } of hostPorts(svc)) {
      if (running) continue;
      if (!(await isPortFree(port, listenAddress(svc.host)))) return { service: svc.name, port };
    }
  }
  return undefined;
}

async function holderText(port: number): Promise<string> {
  const holder = await portHolder(port).catch(() => undefined);
  return holder?.pid ? `pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}` : 'another program';
}

/** Every port another registered stack uses (its folder still there), whether it runs or not. */
function reserved(others: RegistryEntry[]): Set<number> {
  const out = new Set<number>();
  for (const e of others) if (folderExists(e)) for (const ports of Object.values(e.ports)) for (const p of Object.values(ports)) out.add(p);
  return out;
}

function missingPorts(configured: PortMap, ports: PortMap): { service: string; key: string }[] {
  return Object.entries(configured).flatMap(([service, keys]) =>
    Object.keys(keys)
      .filter((key) => ports[service]?.[key] === undefined)
      .map((key) => ({ service, key })),
  );
}

/**
 * A block (BLOCK_SIZE ports, more when the stack has more) no other stack uses and nothing
 * listens on. The search starts at a block chosen by the folder's path and wraps around: stacks
 * this registry does not know of (another user's, with a registry of their own) rarely pick the
 * same block at the same moment, before either listens on it.
 */
export async function allocate(configured: PortMap, taken: Set<number>, path: string): Promise<PortMap> {
  const wanted = missingPorts(configured, {});
  const size = Math.max(BLOCK_SIZE, Math.ceil(wanted.length / BLOCK_SIZE) * BLOCK_SIZE);
  const blocks = Math.floor((BLOCK_LAST - BLOCK_FIRST + 1) / size);
  const start = createHash('sha256').update(path).digest().readUInt32BE(0) % blocks;
  for (let i = 0; i < blocks; i++) {
    const base = BLOCK_FIRST + ((start + i) % blocks) * size;
    const block = Array.from({ length: size }, (_, k) => base + k);
    if (block.some((p) => taken.has(p))) continue;
    if (!(await allFree(block.slice(0, wanted.length)))) continue;
    const out: PortMap = {};
    wanted.forEach(({ service, key }, i) => {
      out[service] = { ...out[service], [key]: block[i]! };
    });
    return out;
  }
  throw noBlock();
}

/** Ports for services added after the block was allocated: the block's next unused ports, else anywhere free in the range. */
async function extend(ports: PortMap, missing: { service: string; key: string }[], taken: Set<number>): Promise<PortMap> {
  const used = new Set(Object.values(ports).flatMap((p) => Object.values(p)));
  const out: PortMap = structuredClone(ports);
  const base = Math.min(...used);
  for (const { service, key } of missing) {
    let port: number | undefined;
    for (let p = Number.isFinite(base) ? base : BLOCK_FIRST; p <= BLOCK_LAST && port === undefined; p++) {
      if (!used.has(p) && !taken.has(p) && (await isPortFree(p))) port = p;
    }
    if (port === undefined) throw noBlock();
    used.add(port);
    out[service] = { ...out[service], [key]: port };
  }
  return out;
}

async function allFree(ports: number[]): Promise<boolean> {
  for (const p of ports) if (!(await isPortFree(p))) return false;
  return true;
}

function noBlock(): TmError {
  return new TmError('TM_NO_FREE_PORTS', `no free block of ports between ${BLOCK_FIRST} and ${BLOCK_LAST} for this stack`, {
    exit: EXIT.runtime,
    hint: 'tm ls lists the stacks of this machine; tm prune removes those whose folder is gone',
  });
}
