import { EXIT, TmError } from '../../errors.js';
import type { DatabaseTarget } from '../connect.js';
import { whileReplacing } from './replace-lock.js';
import { refuseWholeDatabaseCopy } from './schema-mode.js';
import {
  cloneDatabase,
  databaseName,
  dropDatabase,
  guardReplace,
  nameTag,
  readPrivileges,
  requirePrivileges,
  terminateConnections,
  withMaintenance,
} from './databases.js';

export interface Snapshot {
  name: string;
  database: string;
  created_at?: string;
  size_bytes: number;
}

const NAME = /^[a-z0-9][a-z0-9_]{0,39}$/;

/** Snapshot names become part of a database name: lowercase letters, digits and _ only. */
export function validateSnapshotName(name: string): string {
  if (!NAME.test(name)) {
    throw new TmError('TM_SNAPSHOT_NAME', `"${name.slice(0, 60)}" is not a snapshot name`, {
      exit: EXIT.usage,
      hint: 'use 1-40 lowercase letters, digits and _, starting with a letter or digit (e.g. before_import)',
    });
  }
  return name;
}

const snapshotDb = (db: string, name: string) => `tm_snap_${nameTag(db)}_${name}`;

export function defaultSnapshotName(now = new Date()): string {
  return `s${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

/** Copies the database with CREATE DATABASE ... TEMPLATE; other sessions on it are ended first. */
export async function createSnapshot(target: DatabaseTarget, name: string): Promise<{ snapshot: string; terminated: number }> {
  validateSnapshotName(name);
  refuseWholeDatabaseCopy(target, 'tm db snapshot');
  const db = databaseName(target);
  return whileReplacing(target, 'snapshot', () =>
    withMaintenance(target, 'snapshot', async (client) => {
      const snap = snapshotDb(db, name);
      const me = await readPrivileges(client, [db, snap]);
      if (me.databases.has(snap)) {
        throw new TmError('TM_SNAPSHOT_EXISTS', `snapshot ${name} of ${db} already exists`, {
          exit: EXIT.usage,
          hint: `tm db snapshot --delete ${name} first, or pick another name`,
        });
      }
      requirePrivileges(client, me, { createdb: true, own: [db], command: 'tm db snapshot' });
      const terminated = await terminateConnections(client, db);
      await cloneDatabase(client, snap, db);
      await client.query(
        `COMMENT ON DATABASE ${client.escapeIdentifier(snap)} IS ${client.escapeLiteral(JSON.stringify({ source: db, created_at: new Date().toISOString() }))}`,
      );
      return { snapshot: name, terminated };
    }),
  );
}

/** Replaces the database with a copy of the snapshot (the snapshot itself stays). */
export async function restoreSnapshot(target: DatabaseTarget, name: string, opts: { force?: boolean } = {}): Promise<{ snapshot: string; terminated: number }> {
  validateSnapshotName(name);
  refuseWholeDatabaseCopy(target, 'tm db restore');
  const db = await guardReplace(target, 'restore', opts.force);
  return whileReplacing(target, 'restore', () =>
    withMaintenance(target, 'restore', async (client) => {
      const snap = snapshotDb(db, name);
      const me = await readPrivileges(client, [db, snap]);
      if (!me.databases.has(snap)) {
        throw new TmError('TM_SNAPSHOT_MISSING', `there is no snapshot ${name} of ${db}`, { exit: EXIT.usage, hint: 'tm db snapshots lists them' });
      }
      requirePrivileges(client, me, { createdb: true, own: [db, snap], command: 'tm db restore' });
      const terminated = me.databases.has(db) ? await terminateConnections(client, db) : 0;
      await dropDatabase(client, db);
      await cloneDatabase(client, db, snap, `${db} was dropped; fix this and run tm db restore ${name} again`);
      return { snapshot: name, terminated };
    }),
  );
}

export async function deleteSnapshot(target: DatabaseTarget, name: string): Promise<void> {
  validateSnapshotName(name);
  refuseWholeDatabaseCopy(target, 'tm db snapshot --delete');
  const db = databaseName(target);
  await withMaintenance(target, 'snapshot', async (client) => {
    const snap = snapshotDb(db, name);
    const me = await readPrivileges(client, [snap]);
    if (!me.databases.has(snap))
      throw new TmError('TM_SNAPSHOT_MISSING', `there is no snapshot ${name} of ${db}`, { exit: EXIT.usage, hint: 'tm db snapshots lists them' });
    requirePrivileges(client, me, { createdb: false, own: [snap], command: 'tm db snapshot --delete' });
    await dropDatabase(client, snap);
  });
}

export async function listSnapshots(target: DatabaseTarget): Promise<Snapshot[]> {
  const db = databaseName(target);
  const prefix = `tm_snap_${nameTag(db)}_`;
  return withMaintenance(target, 'snapshots', async (client) => {
    const { rows } = await client.query<{ datname: string; size: string; comment: string | null }>(
      `SELECT datname, pg_database_size(oid)::text AS size, shobj_description(oid, 'pg_database') AS comment
         FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname`,
      [prefix],
    );
    return rows.map((r) => {
      let created: string | undefined;
      try {
        created = (JSON.parse(r.comment ?? '{}') as { created_at?: string }).created_at;
      } catch {
        created = undefined;
      }
      return { name: r.datname.slice(prefix.length), database: db, created_at: created, size_bytes: Number(r.size) };
    });
  });
}
