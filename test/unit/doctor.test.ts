import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { summarize } from '../../src/doctor/run.js';
import { databaseFix, staleServiceUrls } from '../../src/doctor/targets.js';
import type { Finding } from '../../src/doctor/types.js';
import type { EnvState, ResolvedVar } from '../../src/env/resolve.js';
import { TmError } from '../../src/errors.js';
import { isProjectServer } from '../../src/runtime/native/orphans.js';

// The doctor's diagnosis where it is pure: which fix an error calls for, which URLs were left
// on an old port, how findings add up, which process is a server of the project.

const pgError = (code: string) => Object.assign(new Error('server said no'), { code });

describe('databaseFix', () => {
  it('a rejected password: put the credentials back (own service) or fix the variable', () => {
    expect(databaseFix('services.postgres', pgError('28P01'))).toMatch(/^the server refuses services\.postgres\.user\/password: .*tm down --volumes && tm up/);
    expect(databaseFix('DATABASE_URL (.env)', pgError('28000'))).toBe(
      'the server refuses the user/password in DATABASE_URL: fix them in .env (or .env.local, or the environment)',
    );
  });

  it('reads the cause of a TmError, as tm db wraps it', () => {
    const wrapped = new TmError('TM_DB_UNREACHABLE', 'no', { cause: pgError('3D000') });
    expect(databaseFix('services.postgres', wrapped)).toBe('tm db reset creates the database (and migrates, seeds)');
    expect(databaseFix('DATABASE_URL', wrapped)).toBe('create the database named in DATABASE_URL, or fix DATABASE_URL');
  });

  it('anything else: start it', () => {
    expect(databaseFix('services.db', pgError('ECONNREFUSED'))).toBe('tm up (or tm logs db if it is running)');
    expect(databaseFix('DIRECT_URL (the environment)', new Error('timeout'))).toBe('start the server DIRECT_URL points at, or fix DIRECT_URL in .env');
  });
});

describe('staleServiceUrls', () => {
  const source = 'name: shop\nservices:\n  postgres: { port: 55432, database: shop }\n  redis: { port: 56379 }\n';
  const config = parseConfig(source, { file: '/p/taskmaster.yml', root: '/p', vars: {} });
  const state = (vars: ResolvedVar[]): EnvState => ({ vars: new Map(vars.map((v) => [v.key, v])), warnings: [], files: ['.env'] });

  it("names URLs on this machine with a service's scheme but a port no such service uses, and where they come from", () => {
    const stale = staleServiceUrls(
      config,
      state([
        { key: 'DATABASE_URL', value: 'postgres://u:p@localhost:5432/shop', source: 'file', file: '.env', line: 3 },
        { key: 'CACHE_URL', value: 'redis://0.0.0.0:6380', source: 'environment' },
      ]),
    );
    expect(stale).toEqual([
      { service: 'postgres', key: 'DATABASE_URL', where: '.env:3', port: 5432, expected: 55432 },
      { service: 'redis', key: 'CACHE_URL', where: 'the environment', port: 6380, expected: 56379 },
    ]);
  });

  it('leaves URLs on the right port, on other machines, of other schemes, and values that are not URLs', () => {
    expect(
      staleServiceUrls(
        config,
        state([
          { key: 'DATABASE_URL', value: 'postgresql://u@127.0.0.1:55432/shop', source: 'file', file: '.env', line: 1 },
          { key: 'REPLICA_URL', value: 'postgres://u@db.example.com:5432/shop', source: 'file', file: '.env', line: 2 },
          { key: 'API_URL', value: 'http://localhost:5432', source: 'file', file: '.env', line: 3 },
          { key: 'NAME', value: 'shop', source: 'file', file: '.env', line: 4 },
          { key: 'UNSET_URL', source: 'unset' },
        ]),
      ),
    ).toEqual([]);
  });
});

describe('summarize', () => {
  const f = (status: Finding['status'], fixed?: string): Finding => ({ id: 'x', title: 'x', status, detail: '', fixed });
  it('counts problems and warnings not fixed, and the fixed ones apart; ok and skip count for nothing', () => {
    const findings = [f('ok'), f('skip'), f('fail'), f('fail', 'done'), f('warn'), f('warn'), f('warn', 'done')];
    expect(summarize(findings)).toEqual({ problems: 1, warnings: 2, fixed: 2 });
  });
});

describe('isProjectServer', () => {
  const dataDirs = ['/p/.taskmaster/data/postgres', '/var/lib/taskmaster/shop-1234/postgres'];
  it("postgres on one of the project's data directories, or redis-server on its port", () => {
    const postgres = ['/usr/lib/postgresql/15/bin/postgres', '-D', '/var/lib/taskmaster/shop-1234/postgres', '-p', '55432'];
    expect(isProjectServer(postgres, dataDirs, [56379])).toBe(true);
    expect(isProjectServer(['redis-server 127.0.0.1:56379', '', ''], dataDirs, [56379])).toBe(true);
    // Before Redis has rewritten its title (a tm interrupted right after starting it).
    expect(isProjectServer(['/usr/bin/redis-server', '--port', '56379', '--bind', '127.0.0.1'], dataDirs, [56379])).toBe(true);
  });

  it('not postgres elsewhere, a data directory only mentioned by another program, or another Redis port', () => {
    expect(isProjectServer(['/usr/lib/postgresql/15/bin/postgres', '-D', '/other/data'], dataDirs, [56379])).toBe(false);
    expect(isProjectServer(['/usr/bin/rsync', '-a', '/p/.taskmaster/data/postgres'], dataDirs, [56379])).toBe(false);
    expect(isProjectServer(['postgres: checkpointer'], dataDirs, [56379])).toBe(false);
    expect(isProjectServer(['redis-server 127.0.0.1:563790'], dataDirs, [56379])).toBe(false);
    expect(isProjectServer(['/usr/bin/redis-server', '--port', '563790'], dataDirs, [56379])).toBe(false);
    expect(isProjectServer([''], dataDirs, [56379])).toBe(false);
  });
});
