import { join } from 'node:path';
import { findPostgres } from '../../src/runtime/native/binaries.js';

/** The directory of the PostgreSQL binaries tm itself would choose (PATH, pg_config, Debian's and Homebrew's versioned dirs...). */
export async function postgresBindir(): Promise<string> {
  const { found, rejected } = await findPostgres({ wantMajor: 15 });
  if (!found) throw new Error(`no PostgreSQL binaries found: ${rejected.map((r) => `${r.source}: ${r.reason}`).join('; ')}`);
  return found.bindir;
}

/** A PostgreSQL program (psql, pg_dump, pg_ctl...) from those binaries. */
export async function postgresProgram(name: string): Promise<string> {
  return join(await postgresBindir(), name);
}
