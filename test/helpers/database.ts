import pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { tempProject, type TempProject } from './project.js';

/**
 * A test file's own Postgres (a project started with `tm up` before its tests, stopped after
 * them) and a fresh database for each test. Call at the top of the file.
 */
export function databasePerTest(name: string) {
  const state: { project?: TempProject; admin?: pg.Client; db: string } = { db: '' };
  let n = 0;
  const url = (database = state.db, query = '') => `postgres://${name}_user:pw-${name}-secret@127.0.0.1:${state.project!.pgPort}/${database}${query}`;
  beforeAll(async () => {
    state.project = await tempProject({ name });
    expect((await state.project.tm(['up'])).exitCode).toBe(0);
    state.admin = new pg.Client(url(`${name}_db`));
    await state.admin.connect();
  });
  afterAll(async () => {
    await state.admin?.end();
    await state.project?.cleanup();
  });
  beforeEach(async () => {
    state.db = `${name}${n++}`;
    await state.admin!.query(`CREATE DATABASE ${state.db}`);
  });
  return {
    project: () => state.project!,
    /** This test's database. */
    db: () => state.db,
    url,
    /** Rows of `sql` in `database` (this test's by default). */
    query: <T = Record<string, unknown>>(sql: string, database = state.db) => queryUrl<T>(url(database), sql),
  };
}

/** Rows of `sql`, on a connection of its own to `url`. */
export async function queryUrl<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}
