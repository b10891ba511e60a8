import { describe, expect, it } from 'vitest';
import { clientOf, serviceVariables, webUrl } from '../../src/config/clients.js';
import type { AppService, PostgresService, RedisService } from '../../src/config/schema.js';
import { dumpFormat } from '../../src/stack/db-file.js';

const pg: PostgresService = {
  kind: 'postgres',
  name: 'db',
  image: 'postgres:16',
  host: '127.0.0.1',
  port: 55432,
  database: 'shop',
  user: 'shop',
  password: 'pw',
};
const redis: RedisService = { kind: 'redis', name: 'cache', image: 'redis:7', host: '127.0.0.1', port: 56379, persistence: 'aof', password: 'rpw' };
const web: AppService = { kind: 'app', name: 'web', host: '0.0.0.0', port: 3000, depends_on: [], env: {} };

describe('service clients', () => {
  it('credentials go in variables; arguments only say where the server is', () => {
    const at = { host: '127.0.0.1', port: 5432 };
    expect(serviceVariables(pg, at)).toEqual({ PGHOST: '127.0.0.1', PGPORT: '5432', PGUSER: 'shop', PGDATABASE: 'shop', PGPASSWORD: 'pw' });
    expect(serviceVariables(redis, at)).toEqual({ REDISCLI_AUTH: 'rpw' });
    expect(serviceVariables({ ...redis, password: undefined }, at)).toEqual({});
    expect(clientOf(pg)?.connect(at)).toEqual([]);
    expect(clientOf(redis)?.connect({ host: '127.0.0.1', port: 6379 })).toEqual(['-h', '127.0.0.1', '-p', '6379']);
    expect(clientOf(web)).toBeUndefined();
  });

  it("an app's web page is its port on this machine; a database has none", () => {
    expect(webUrl(web)).toBe('http://localhost:3000');
    expect(webUrl({ ...web, port: undefined })).toBeUndefined();
    expect(webUrl(pg)).toBeUndefined();
  });
});

describe('dump file names', () => {
  it('say the format and the compression', () => {
    expect(dumpFormat('db.sql')).toEqual({ custom: false, gzip: false });
    expect(dumpFormat('dir/DB.SQL.GZ')).toEqual({ custom: false, gzip: true });
    expect(dumpFormat('db.dump')).toEqual({ custom: true, gzip: false });
    expect(dumpFormat('db.dump.gz')).toEqual({ custom: true, gzip: true });
    expect(dumpFormat('-')).toEqual({ custom: false, gzip: false });
    expect(dumpFormat(undefined)).toEqual({ custom: false, gzip: false });
  });

  it('refuse a name that says neither (exit 2)', () => {
    expect(() => dumpFormat('db.gz')).toThrow(expect.objectContaining({ code: 'TM_DUMP_FORMAT', exit: 2 }));
    expect(() => dumpFormat('db.txt')).toThrow(/cannot tell the format/);
  });
});
