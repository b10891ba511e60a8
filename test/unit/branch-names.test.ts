import { describe, expect, it } from 'vitest';
import { branchDatabaseName, branchSlug, databaseOfBranch, followBranch, MAX_IDENTIFIER, type BranchFact } from '../../src/config/branch.js';
import type { PostgresService, RedisService } from '../../src/config/schema.js';
import { inNetworkUrl, serviceUrl } from '../../src/config/services.js';
import { divergence } from '../../src/db/migrations/divergence.js';

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
const redis: RedisService = { kind: 'redis', name: 'cache', image: 'redis:7', host: '127.0.0.1', port: 56379, persistence: 'aof' };
const fact = (database: string): BranchFact => ({
  branch: 'feature/x',
  defaultBranch: 'main',
  base: 'shop',
  database,
  git: { top: '/p', gitDir: '/p/.git', commonDir: '/p/.git' },
});

describe('branch database names', () => {
  it('slugs are lowercase [a-z0-9_], never empty, never starting with _', () => {
    expect(branchSlug('feature/Login-Page')).toBe('feature_login_page');
    expect(branchSlug('fix--#12__x')).toBe('fix_12_x');
    expect(branchSlug('/ü/')).toBe('branch');
    expect(branchSlug('_x_')).toBe('x');
  });

  it('the default branch uses the configured database, others <db>__<slug>, a detached HEAD one shared name', () => {
    expect(databaseOfBranch('shop', 'main', 'main')).toBe('shop');
    expect(databaseOfBranch('shop', 'feature/x', 'main')).toBe('shop__feature_x');
    expect(databaseOfBranch('shop', 'master', 'main')).toBe('shop__master');
    expect(databaseOfBranch('shop', undefined, 'main')).toBe('shop___detached');
  });

  it('stays within 63 bytes, and two long branches sharing a beginning get two names', () => {
    const long = `feature/${'very-long-description-'.repeat(5)}`;
    const a = databaseOfBranch('shop', `${long}a`, 'main');
    const b = databaseOfBranch('shop', `${long}b`, 'main');
    expect(Buffer.byteLength(a)).toBe(MAX_IDENTIFIER);
    expect(a).not.toBe(b);
    expect(a.startsWith('shop__feature_very_long')).toBe(true);
    // A base of multi-byte characters is cut on a character boundary.
    const wide = branchDatabaseName('ü'.repeat(30), 'x'.repeat(20));
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(MAX_IDENTIFIER);
    expect(wide).not.toContain('\ufffd');
  });
});

describe('URLs follow the branch', () => {
  it("the service's URLs on this machine name the branch database; the project's files keep the configured one", () => {
    const onBranch = { ...pg, branchDatabase: 'shop__feature_x' };
    expect(serviceUrl(onBranch, true)).toBe('postgres://shop:pw@127.0.0.1:55432/shop__feature_x');
    expect(inNetworkUrl(onBranch, '${POSTGRES_PASSWORD}')).toBe('postgres://shop:${POSTGRES_PASSWORD}@postgres:5432/shop');
  });

  it('a URL tm wrote (its server, its database or a branch one) follows; any other stays as written', () => {
    const config = { services: [pg, redis], branch: fact('shop__feature_x') };
    expect(followBranch(config, 'postgres://shop:pw@127.0.0.1:55432/shop')).toBe('postgres://shop:pw@127.0.0.1:55432/shop__feature_x');
    expect(followBranch(config, 'postgresql://shop:pw@localhost:55432/shop__other?sslmode=disable')).toBe(
      'postgresql://shop:pw@localhost:55432/shop__feature_x?sslmode=disable',
    );
    for (const other of [
      'postgres://shop:pw@db.example.com:55432/shop',
      'postgres://shop:pw@127.0.0.1:5432/shop',
      'postgres://shop:pw@127.0.0.1:55432/analytics',
      'postgres://shop:pw@127.0.0.1:55432/shopping',
      'redis://127.0.0.1:56379',
      'not a url',
    ])
      expect(followBranch(config, other)).toBe(other);
    // Back on the default branch, a branch database's URL comes back to the configured one.
    expect(followBranch({ ...config, branch: fact('shop') }, 'postgres://shop:pw@127.0.0.1:55432/shop__feature_x')).toBe(
      'postgres://shop:pw@127.0.0.1:55432/shop',
    );
    // Without db.branches nothing follows.
    expect(followBranch({ services: [pg] }, 'postgres://shop:pw@127.0.0.1:55432/shop__feature_x')).toBe('postgres://shop:pw@127.0.0.1:55432/shop__feature_x');
  });
});

describe('the applied history as a prefix of the files', () => {
  it('names the files that break it, with the fix', () => {
    const rows = [
      { name: 'a', version: '1', path: 'db/migrations/1_a.sql', state: 'applied' as const },
      { name: 'b', version: '2', state: 'missing' as const },
      { name: 'c', version: '3', path: 'db/migrations/3_c.sql', state: 'edited' as const },
      { name: 'd', version: '4', path: 'db/migrations/4_d.sql', state: 'pending' as const },
    ];
    const d = divergence({ rows }, { branches: false });
    expect(d?.files.map((f) => [f.version, f.why])).toEqual([
      ['2', 'applied to the database, but no such file in this checkout'],
      ['3', 'applied with other content than the file has here'],
    ]);
    expect(d?.fix).toMatch(/tm db reset .*db\.branches: true/);
    expect(divergence({ rows: [rows[0]!, rows[3]!] }, { branches: false })).toBeUndefined();
    // Prisma: an applied folder with no folder here has no path.
    expect(divergence({ rows: [{ name: '2024_x', state: 'applied' }] }, { branches: true, branch: 'b', database: 'shop__b' })?.fix).toContain('branch b');
  });
});
