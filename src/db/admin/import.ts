import { EXIT, TmError } from '../../errors.js';
import type { DatabaseTarget } from '../connect.js';
import { createDatabase, dropDatabase, guardReplace, readPrivileges, requirePrivileges, terminateConnections, withMaintenance } from './databases.js';
import { whileReplacing } from './replace-lock.js';
import { schemaOf } from './schema-mode.js';

export interface ReplaceResult {
  database: string;
  /** Other sessions ended before the drop. */
  terminated: number;
}

/**
 * `tm db import`: the same guards and turn as reset (a system database or one on another
 * machine is refused, one replace at a time), then the database is dropped, created empty,
 * and `load` fills it while the turn is held.
 */
export function replaceWithImport(target: DatabaseTarget, force: boolean, load: (database: string) => Promise<void>): Promise<ReplaceResult> {
  return whileReplacing(target, 'import', async () => {
    const db = await guardReplace(target, 'import', force);
    if (schemaOf(target)) {
      throw new TmError('TM_IMPORT_SCHEMA', 'tm db import replaces a whole database; the database URL names one schema (?schema=)', {
        exit: EXIT.usage,
        hint: 'import with a URL without ?schema=, or load the file with tm psql',
      });
    }
    const emptied = `${db} is now empty; fix this and run tm db import again`;
    const terminated = await withMaintenance(target, 'import', async (client) => {
      const me = await readPrivileges(client, [db]);
      requirePrivileges(client, me, { createdb: true, own: [db], command: 'tm db import' });
      const n = me.databases.has(db) ? await terminateConnections(client, db) : 0;
      await dropDatabase(client, db);
      await createDatabase(client, db, emptied);
      return n;
    });
    await load(db);
    return { database: db, terminated };
  });
}
