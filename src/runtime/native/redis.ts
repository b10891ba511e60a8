import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { listenAddress } from '../../config/listen.js';
import type { RedisService } from '../../config/schema.js';
import { writePrivateFile } from '../../util/private-file.js';
import { findRedis, missingBinary } from './binaries.js';
import { spawnDaemon, type Daemon } from './daemon.js';
import type { NativePaths } from './paths.js';

export interface RedisPlan {
  svc: RedisService;
  binary: string;
  dataDir: string;
  logFile: string;
  /** Holds `requirepass`, so the password is not visible in `ps`. */
  confFile: string;
}

export async function planRedis(svc: RedisService, paths: NativePaths): Promise<RedisPlan> {
  const { found, rejected } = await findRedis();
  if (!found) throw missingBinary('redis', rejected);
  return {
    svc,
    binary: found,
    dataDir: paths.dataDir(svc.name),
    logFile: paths.logFile(svc.name),
    confFile: paths.pidFile(svc.name).replace(/\.pid$/, '.conf'),
  };
}

/** Persistence: `aof` (default) survives restarts, `rdb` snapshots, `none` keeps nothing. */
export function redisArgs(plan: RedisPlan): string[] {
  const { svc } = plan;
  // Without a password the config only allows a loopback address (config/load.ts), so
  // protected mode (which refuses other clients) has nothing left to protect.
  const args = svc.password ? [plan.confFile] : [];
  args.push('--port', String(svc.port), '--bind', listenAddress(svc.host), '--dir', plan.dataDir, '--daemonize', 'no', '--protected-mode', 'no');
  if (svc.persistence === 'aof') args.push('--appendonly', 'yes', '--save', '');
  else if (svc.persistence === 'rdb') args.push('--appendonly', 'no', '--save', '60 1');
  else args.push('--appendonly', 'no', '--save', '');
  return args;
}

export async function startRedis(plan: RedisPlan): Promise<Daemon> {
  await mkdir(plan.dataDir, { recursive: true });
  if (plan.svc.password) {
    await mkdir(dirname(plan.confFile), { recursive: true });
    await writePrivateFile(plan.confFile, `requirepass "${plan.svc.password.replace(/["\\]/g, '\\$&')}"\n`);
  }
  // Started in its data directory (not only moved there by --dir once its config is read): tm
  // proves a redis-server is this project's by its working directory, and a tm interrupted
  // right after the spawn must recognise it to stop it.
  return spawnDaemon(plan.binary, redisArgs(plan), { logFile: plan.logFile, cwd: plan.dataDir });
}
