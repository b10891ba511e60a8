import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { hostPorts, withHostPorts } from './host-ports.js';
import { isLoopbackAddress } from './listen.js';
import type { Config } from './load.js';
import type { Service } from './schema.js';

// A project may have several stacks on one machine (worktrees, clones): each is keyed by its
// folder. taskmaster.yml's ports belong to the project's first stack; another stack gets a
// block of its own on its first `tm up`, kept in its .taskmaster/stack.json. Applied here, as
// the config is loaded, so every command of the stack (health, db, status, the URLs written
// into .env) sees the stack's own ports without asking.

/** Ports per service and key (`{ postgres: { port: 20000 } }`). */
export type PortMap = Record<string, Record<string, number>>;

/** What a stack keeps in `.taskmaster/stack.json`. */
export interface StackRecord {
  version: 1;
  /** The folder it was made for, symbolic links resolved: a copied folder's record is not the copy's. */
  path: string;
  /** Its own ports; null: taskmaster.yml's (the project's first stack, or `--ports fixed`). */
  ports: PortMap | null;
  /** Where its data came from on its first `tm up` (`from: null`: it started empty). */
  data?: { from: string | null; at: string };
}

/**
 * How a stack's ports were decided: `configured` (taskmaster.yml's, as the first stack),
 * `allocated` (a block of its own), `fixed` (`ports: fixed`: taskmaster.yml's, never moved),
 * `unassigned` (no `tm up` here yet).
 */
export type PortMode = 'configured' | 'allocated' | 'fixed' | 'unassigned';

export interface StackPorts {
  mode: PortMode;
  /** taskmaster.yml's host ports, for reference (the services carry the stack's effective ones). */
  configured: PortMap;
}

export const STACK_FILE = join('.taskmaster', 'stack.json');

/** The host ports of the services, by service and key. */
export function portMap(services: Service[]): PortMap {
  const out: PortMap = {};
  for (const svc of services) {
    const ports = hostPorts(svc);
    if (ports.length > 0) out[svc.name] = Object.fromEntries(ports.map((p) => [p.key, p.port]));
  }
  return out;
}

/** What `tm up --json` and `tm status --json` say of the stack. */
export interface StackSummary {
  path: string;
  mode: PortMode;
  ports: PortMap;
  configured: PortMap;
  /** The stack holding taskmaster.yml's ports, when this one has a block of its own. */
  first?: string;
  /** Why this run gave the stack a block of its own (only on the run that did). */
  reason?: string;
}

export function stackSummary(config: Config, claim: { first?: string; reason?: string } = {}): StackSummary {
  return {
    path: stackPath(config.root),
    mode: config.stack.mode,
    ports: portMap(config.services),
    configured: config.stack.configured,
    first: claim.first,
    reason: claim.reason,
  };
}

/** `postgres 20000, redis 20001` (a service of several ports: `rabbitmq 20002/20003`). */
export function describePorts(ports: PortMap): string {
  return Object.entries(ports)
    .map(([svc, keys]) => `${svc} ${Object.values(keys).join('/')}`)
    .join(', ');
}

/** The folder as the kernel resolves it (as given, when it does not exist). */
export function stackPath(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

/** The stack's record, if there is one and it was made for this folder (nothing under .taskmaster/ is trusted blindly). */
export function readStackRecord(root: string): StackRecord | undefined {
  let record: StackRecord;
  try {
    record = JSON.parse(readFileSync(join(root, STACK_FILE), 'utf8')) as StackRecord;
  } catch {
    return undefined;
  }
  if (record?.version !== 1 || typeof record.path !== 'string' || record.path !== stackPath(root)) return undefined;
  if (record.ports !== null && !isPortMap(record.ports)) return undefined;
  return record;
}

function isPortMap(value: unknown): value is PortMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (ports) =>
      typeof ports === 'object' &&
      ports !== null &&
      Object.values(ports as object).every((p) => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535),
  );
}

/** The mode a record gives (the project's `ports: fixed` wins over it). */
export function portMode(config: Pick<Config, 'ports'>, record: StackRecord | undefined): PortMode {
  if (config.ports === 'fixed') return 'fixed';
  if (!record) return 'unassigned';
  return record.ports === null ? 'configured' : 'allocated';
}

/**
 * The config as this stack sees it: with an allocated block, each service's host ports are
 * the stack's, and a URL of the config that points at a configured port of the project on this
 * machine (an app's health URL, an app's `env:` value) is moved with it. Nothing is written.
 */
export function applyStack(config: Config, record = readStackRecord(config.root)): Config {
  // Idempotent: taskmaster.yml's ports are the ones the parser recorded.
  const configured = config.stack?.configured ?? portMap(config.services);
  const mode = portMode(config, record);
  if (mode !== 'allocated') return { ...config, stack: { mode, configured } };
  const allocated = record!.ports!;
  const moves = new Map<number, number>();
  for (const [svc, ports] of Object.entries(configured))
    for (const [key, port] of Object.entries(ports)) {
      const to = allocated[svc]?.[key];
      if (to !== undefined) moves.set(port, to);
    }
  const services = config.services.map((svc) => {
    const moved = withHostPorts(svc, allocated[svc.name] ?? {});
    if (moved.kind !== 'app') return moved;
    return {
      ...moved,
      health: moved.health === undefined ? undefined : movePort(moved.health, moves),
      env: Object.fromEntries(Object.entries(moved.env).map(([k, v]) => [k, movePort(v, moves)])),
    };
  });
  return { ...config, services, stack: { mode, configured } };
}

/** A URL on this machine at a port that moved, with the new port; anything else unchanged. */
export function movePort(value: string, moves: Map<number, number>): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? URL.parse(value) : null;
  if (!url?.port) return value;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host !== 'localhost' && host !== '0.0.0.0' && !isLoopbackAddress(host)) return value;
  const to = moves.get(Number(url.port));
  if (to === undefined) return value;
  // Only the port: the rest of the text stays as written (URL#toString would add a trailing slash).
  const at = value.toLowerCase().lastIndexOf(`${url.hostname}:${url.port}`);
  if (at < 0) return value;
  const end = at + url.hostname.length + 1;
  return `${value.slice(0, end)}${to}${value.slice(end + url.port.length)}`;
}
