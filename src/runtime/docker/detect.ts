import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Rejection } from '../native/binaries.js';

/** A Docker-API engine that answered, and how to reach it. */
export interface Engine {
  /** `unix:///var/run/docker.sock` or `tcp://host:port`, as DOCKER_HOST spells it. */
  host: string;
  source: string;
  socketPath?: string;
  hostname?: string;
  port?: number;
  version?: string;
}

export interface EngineDetection {
  engine?: Engine;
  rejected: Rejection[];
}

interface Candidate {
  source: string;
  host: string;
}

/**
 * Ordered strategies, like testcontainers: DOCKER_HOST, DOCKER_CONTEXT (or the CLI's current
 * context), the standard socket, rootless, Docker Desktop, Colima, podman. Every candidate
 * that does not answer keeps its reason, for `tm doctor`.
 */
export async function detectEngine(env: NodeJS.ProcessEnv = process.env, timeoutMs = 1500): Promise<EngineDetection> {
  const rejected: Rejection[] = [];
  const candidates = await candidatesFrom(env, rejected);
  for (const c of candidates) {
    const target = parseHost(c.host);
    if (!target) {
      rejected.push({ source: c.source, reason: `cannot use ${c.host} (only unix:// and tcp:// are supported)` });
      continue;
    }
    if (target.socketPath && !existsSync(target.socketPath)) {
      rejected.push({ source: c.source, reason: `${target.socketPath} does not exist` });
      continue;
    }
    try {
      const version = await ping(target, timeoutMs);
      return { engine: { ...target, host: c.host, source: c.source, version }, rejected };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason =
        code === 'EACCES'
          ? `permission denied on ${target.socketPath} (add your user to the docker group, then log in again)`
          : code === 'ECONNREFUSED'
            ? `${c.host} refused the connection (is the engine running?)`
            : `${c.host}: ${(err as Error).message}`;
      rejected.push({ source: c.source, reason });
      // DOCKER_HOST and DOCKER_CONTEXT are explicit choices: do not fall through to others.
      if (c.source === 'DOCKER_HOST' || c.source.startsWith('DOCKER_CONTEXT')) break;
    }
  }
  return { rejected };
}

async function candidatesFrom(env: NodeJS.ProcessEnv, rejected: Rejection[]): Promise<Candidate[]> {
  if (env.DOCKER_HOST) return [{ source: 'DOCKER_HOST', host: env.DOCKER_HOST }];
  const home = env.HOME ?? homedir();
  const contextName = env.DOCKER_CONTEXT ?? (await currentContext(home));
  if (contextName && contextName !== 'default') {
    const host = await contextHost(home, contextName);
    if (host) return [{ source: `DOCKER_CONTEXT ${contextName}`, host }];
    rejected.push({ source: `DOCKER_CONTEXT ${contextName}`, reason: 'no such context in ~/.docker/contexts' });
    // DOCKER_CONTEXT is an explicit choice, as for the docker CLI: no other engine stands in.
    if (env.DOCKER_CONTEXT) return [];
  }
  const runtimeDir = env.XDG_RUNTIME_DIR ?? (typeof process.getuid === 'function' ? `/run/user/${process.getuid()}` : undefined);
  const sockets: [string, string | undefined][] = [
    ['/var/run/docker.sock', '/var/run/docker.sock'],
    ['rootless docker', runtimeDir && join(runtimeDir, 'docker.sock')],
    ['Docker Desktop', join(home, '.docker', 'run', 'docker.sock')],
    ['Docker Desktop (desktop)', join(home, '.docker', 'desktop', 'docker.sock')],
    ['Colima', join(home, '.colima', 'default', 'docker.sock')],
    ['Colima (legacy)', join(home, '.colima', 'docker.sock')],
    ['podman (rootless)', runtimeDir && join(runtimeDir, 'podman', 'podman.sock')],
    ['podman', '/run/podman/podman.sock'],
  ];
  return sockets.filter((s): s is [string, string] => Boolean(s[1])).map(([source, path]) => ({ source, host: `unix://${path}` }));
}

async function currentContext(home: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(home, '.docker', 'config.json'), 'utf8')) as { currentContext?: string }).currentContext;
  } catch {
    return undefined;
  }
}

/** The Docker CLI stores a context under meta/<sha256 of its name>/meta.json. */
async function contextHost(home: string, name: string): Promise<string | undefined> {
  const id = createHash('sha256').update(name).digest('hex');
  try {
    const meta = JSON.parse(await readFile(join(home, '.docker', 'contexts', 'meta', id, 'meta.json'), 'utf8')) as {
      Endpoints?: { docker?: { Host?: string } };
    };
    return meta.Endpoints?.docker?.Host;
  } catch {
    return undefined;
  }
}

function parseHost(host: string): Pick<Engine, 'socketPath' | 'hostname' | 'port'> | undefined {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (tcp) return { hostname: tcp[1], port: Number(tcp[2]) };
  return undefined;
}

/** GET /version: cheap, and tells the engine's version. */
function ping(target: Pick<Engine, 'socketPath' | 'hostname' | 'port'>, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: target.socketPath, host: target.hostname, port: target.port, path: '/version', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve((JSON.parse(body) as { Version?: string }).Version);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
