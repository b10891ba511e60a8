import { createHash } from 'node:crypto';
import { withClient } from '../connect.js';
import type { DatabaseTarget } from '../connect.js';
import { databaseName, maintenanceTarget } from './databases.js';
import { withAdvisoryLock } from '../lock.js';

// Reset, restore and snapshot drop, create and copy a database in several steps; two of them
// at once on one database interleave those steps (one drops what the other just made). They
// take turns through a session advisory lock in the server's maintenance database, keyed by
// the database's name and held for the whole command.

/** How long a second command waits for the first before it gives up (exit 5, naming the holder). */
const WAIT_MS = 60_000;

/** Runs `work` while no other reset, restore or snapshot of the same database runs. */
export async function whileReplacing<T>(target: DatabaseTarget, command: string, work: () => Promise<T>): Promise<T> {
  const db = databaseName(target);
  const key = BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`tm replace ${db}`).digest('hex').slice(0, 16)}`));
  return withClient(maintenanceTarget(target), command, (client) =>
    withAdvisoryLock(
      client,
      key,
      {
        lockTimeoutMs: WAIT_MS,
        holds: `another tm db reset, restore or snapshot of ${db}`,
        hint: 'wait for it to finish; a killed one frees the lock within seconds',
      },
      work,
    ),
  );
}
