import { readFile } from 'node:fs/promises';
import type { RunAs } from '../run-as.js';

/**
 * The system account `name` (from /etc/passwd) when tm runs as root, so a server runs as its
 * own user as its package intends; undefined when tm is not root (the server runs as us) or
 * the account does not exist.
 */
export async function accountFor(name: string | undefined): Promise<RunAs | undefined> {
  if (name === undefined || typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const [, , uid, gid] =
    passwd
      .split('\n')
      .find((l) => l.startsWith(`${name}:`))
      ?.split(':') ?? [];
  return uid === undefined || gid === undefined ? undefined : { user: name, uid: Number(uid), gid: Number(gid) };
}
