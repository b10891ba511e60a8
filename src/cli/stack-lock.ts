import { dirname } from 'node:path';
import { findConfig } from '../config/find.js';
import { acquireStackLock, waitingMessage } from '../stack/lock.js';
import { parseDuration } from '../util/duration.js';
import type { Context } from './context.js';

/**
 * The commands that change a stack, by their path (some only with an option): they take the
 * stack's lock, one at a time (README "One command at a time"). Everything else reads, or is
 * serialised by the database's own advisory locks (migrate, seed), and never waits.
 */
const CHANGES_STACK: Record<string, (opts: Record<string, unknown>) => boolean> = {
  up: () => true,
  down: () => true,
  restart: () => true,
  ci: () => true,
  'env init': () => true,
  doctor: (opts) => Boolean(opts.fix),
  // These replace the database (or end its sessions) that a bring-up may be migrating.
  'db reset': () => true,
  'db restore': () => true,
  'db import': () => true,
  'db snapshot': () => true,
};

/** How long a command waits for another by default; TM_LOCK_TIMEOUT overrides it. */
const DEFAULT_WAIT = '5m';

/** A command as far as its path goes (commander's Command has these). */
export interface CommandPath {
  name(): string;
  readonly parent: CommandPath | null;
}

/** `db reset` for the command `tm db reset`. */
function commandPath(cmd: CommandPath): string {
  const names: string[] = [];
  for (let c: CommandPath | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Takes the lock of the project's stack when `cmd` changes it, waiting for another command
 * that holds it (a line every few seconds says which). Returns the release, or undefined when
 * this command takes no lock (or there is no project: the command says so itself).
 */
export async function lockStackFor(ctx: Context, cmd: CommandPath, opts: Record<string, unknown>): Promise<(() => Promise<void>) | undefined> {
  const path = commandPath(cmd);
  if (!CHANGES_STACK[path]?.(opts)) return undefined;
  const file = await findConfig({ cwd: ctx.cwd, configPath: ctx.globals.config }).catch(() => undefined);
  if (!file) return undefined;
  return acquireStackLock(dirname(file), {
    command: `tm ${path}`,
    timeoutMs: parseDuration(process.env.TM_LOCK_TIMEOUT || DEFAULT_WAIT, 'TM_LOCK_TIMEOUT'),
    signal: ctx.signal,
    onWait: (holder) => ctx.out.info(waitingMessage(holder)),
  });
}
