import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEngine } from '../../src/runtime/docker/detect.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { postgresProgram } from '../helpers/postgres-bin.js';

// Deleting only what was asked for, on the real engine of ../shared/tools/docker-engine.sh.
const { engine, rejected } = await detectEngine();
if (!engine) {
  const why = rejected.map((r) => `${r.source}: ${r.reason}`).join('; ');
  if (process.env.TM_REQUIRE_DOCKER) throw new Error(`TM_REQUIRE_DOCKER is set but no Docker engine answers (${why})`);
  console.warn(`skipping Docker data-safety tests: no Docker engine answers (${why})`);
}
const PSQL = await postgresProgram('psql');

describe.skipIf(!engine)('tm down SERVICE --volumes on Docker', () => {
  let p: TempProject;
  beforeAll(async () => {
    p = await tempProject({ name: 'dvol', runtime: 'docker', images: { postgres: 'standin/postgres:15', redis: 'standin/redis:7' } });
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it("deletes the named service's data only: Postgres keeps its tables when Redis' volume goes", async () => {
    const first = await p.tm(['up']);
    expect(first.exitCode, first.stderr).toBe(0);
    const psql = (sql: string) =>
      execa(PSQL, ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'dvol_user', '-d', 'dvol_db', '-tAc', sql], {
        env: { PGPASSWORD: 'pw-dvol-secret' },
        reject: false,
      });
    const redis = (...args: string[]) => execa('redis-cli', ['-p', String(p.redisPort), ...args], { reject: false });
    await psql('CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)');
    await redis('set', 'gone', 'soon');
    await redis('save');

    const down = await p.tm(['down', 'redis', '--volumes', '--json']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout).removed).toEqual(['redis']);
    expect((await psql('SELECT v FROM kept')).stdout.trim()).toBe('7'); // still running, data intact

    const again = await p.tm(['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await redis('exists', 'gone')).stdout.trim()).toBe('0');
    expect((await psql('SELECT v FROM kept')).stdout.trim()).toBe('7');
    // Two `compose up`s and a `down` take 25-35 s on this engine (the first up alone 8-16 s).
  }, 180_000);
});
