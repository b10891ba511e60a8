import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load.js';
import type { PostgresService } from '../../src/config/schema.js';
import { followBranchInEnv } from '../../src/env/branch-line.js';

const pg: PostgresService = {
  kind: 'postgres',
  name: 'postgres',
  image: 'postgres:16',
  host: '127.0.0.1',
  port: 55432,
  database: 'shop',
  user: 'shop',
  password: 'pw',
};
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function project(env: string, database = 'shop__feature_x'): Promise<Config> {
  const root = await mkdtemp(join(tmpdir(), 'tm-envline-'));
  dirs.push(root);
  await writeFile(join(root, '.env'), env, { mode: 0o644 });
  return {
    root,
    services: [pg],
    branch: { branch: 'feature/x', defaultBranch: 'main', base: 'shop', database, git: { top: root, gitDir: root, commonDir: root } },
  } as unknown as Config;
}

describe('the DATABASE_URL line of .env follows the branch', () => {
  it("rewrites only the database of tm's lines, byte for byte elsewhere", async () => {
    const text = [
      '# my settings',
      'LOG_LEVEL=debug',
      'DATABASE_URL=postgres://shop:pw@127.0.0.1:55432/shop # the app reads this',
      "export DIRECT_URL='postgres://shop:pw@127.0.0.1:55432/shop__old?sslmode=disable'",
      'ANALYTICS_URL=postgres://shop:pw@127.0.0.1:55432/shop',
      '',
    ].join('\r\n');
    const config = await project(text);
    const changes = await followBranchInEnv(config);
    expect(changes.map((c) => [c.key, c.line])).toEqual([
      ['DATABASE_URL', 3],
      ['DIRECT_URL', 4],
    ]);
    expect(await readFile(join(config.root, '.env'), 'utf8')).toBe(
      [
        '# my settings',
        'LOG_LEVEL=debug',
        'DATABASE_URL=postgres://shop:pw@127.0.0.1:55432/shop__feature_x # the app reads this',
        "export DIRECT_URL='postgres://shop:pw@127.0.0.1:55432/shop__feature_x?sslmode=disable'",
        'ANALYTICS_URL=postgres://shop:pw@127.0.0.1:55432/shop',
        '',
      ].join('\r\n'),
    );
    // Written as every file holding a secret: mode 0600.
    expect((await stat(join(config.root, '.env'))).mode & 0o777).toBe(0o600);
    // Already on the branch: nothing to write.
    expect(await followBranchInEnv(config)).toEqual([]);
  });

  it('never touches a value written by hand for another server or database', async () => {
    const text = 'DATABASE_URL=postgres://shop:pw@db.internal:5432/shop\nDIRECT_URL=postgres://shop:pw@127.0.0.1:55432/reporting\n';
    const config = await project(text);
    expect(await followBranchInEnv(config)).toEqual([]);
    expect(await readFile(join(config.root, '.env'), 'utf8')).toBe(text);
  });
});
