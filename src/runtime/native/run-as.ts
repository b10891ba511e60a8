import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EXIT, TmError } from '../../errors.js';

/** The account a server runs as when tm runs as root (Postgres refuses to run as root). */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

/** The `postgres` account, if the machine has one. */
export async function postgresUser(): Promise<RunAs | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = passwd.split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid === undefined || gid === undefined ? undefined : { user: 'postgres', uid: Number(uid), gid: Number(gid) };
}

/** `postgres` when we are root, else undefined (run as ourselves). */
export async function postgresRunAs(): Promise<RunAs | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const user = await postgresUser();
  if (!user) {
    throw new TmError('TM_NO_POSTGRES_USER', 'Postgres refuses to run as root, and there is no "postgres" user to run it as', {
      exit: EXIT.runtime,
      hint: 'tm up --yes creates it (useradd --system postgres), or run tm as a normal user',
    });
  }
  return user;
}

/** Whether `who` can reach `path`: every existing ancestor must be searchable by it. */
export async function canTraverse(path: string, who: RunAs): Promise<boolean> {
  const chain: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const dir of chain) {
    let s: Stats;
    try {
      s = await stat(dir);
    } catch {
      continue; // will be created by us, with permissions we choose
    }
    const ok = s.uid === who.uid ? s.mode & 0o100 : s.gid === who.gid ? s.mode & 0o010 : s.mode & 0o001;
    if (!ok) return false;
  }
  return true;
}
