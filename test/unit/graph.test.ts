import { describe, expect, it } from 'vitest';
import { findCycle, isOneShot, startLevels, withDependencies } from '../../src/config/graph.js';
import type { AppService, PostgresService, RedisService, Service } from '../../src/config/schema.js';

const pg: PostgresService = {
  kind: 'postgres',
  name: 'postgres',
  image: 'postgres:16',
  version: 16,
  host: '127.0.0.1',
  port: 5432,
  database: 'db',
  user: 'u',
  password: 'p',
};
const redis: RedisService = { kind: 'redis', name: 'redis', image: 'redis:7', host: '127.0.0.1', port: 6379, persistence: 'aof' };
const app = (name: string, depends_on: string[] = [], more: Partial<AppService> = {}): AppService => ({
  kind: 'app',
  name,
  host: '127.0.0.1',
  port: 3000,
  depends_on,
  env: {},
  ...more,
});
const names = (services: Service[]) => services.map((s) => s.name);

describe('findCycle', () => {
  it('finds none in a graph that only points down', () => {
    expect(findCycle([pg, redis, app('web', ['postgres', 'redis']), app('worker', ['web'])])).toBeUndefined();
  });

  it('names the cycle as a path that ends where it starts', () => {
    expect(findCycle([app('web', ['worker']), app('worker', ['jobs']), app('jobs', ['web'])])).toEqual(['web', 'worker', 'jobs', 'web']);
    expect(findCycle([pg, app('self', ['self'])])).toEqual(['self', 'self']);
  });

  it('ignores a dependency on a service that is not declared (the config check names it)', () => {
    expect(findCycle([app('web', ['nowhere'])])).toBeUndefined();
  });
});

describe('withDependencies', () => {
  const all = [pg, redis, app('web', ['postgres']), app('worker', ['web', 'redis']), app('other')];

  it('adds what the picked services depend on, transitively, in config order', () => {
    expect(names(withDependencies(all, [all[3]!]))).toEqual(['postgres', 'redis', 'web', 'worker']);
    expect(names(withDependencies(all, [all[2]!]))).toEqual(['postgres', 'web']);
  });

  it('adds nothing to services without dependencies, and each service once', () => {
    expect(names(withDependencies(all, [redis, redis]))).toEqual(['redis']);
    expect(names(withDependencies(all, []))).toEqual([]);
  });
});

describe('startLevels', () => {
  it('puts each service after everything it depends on; independent ones share a level', () => {
    const levels = startLevels([pg, redis, app('web', ['postgres', 'redis']), app('migrate', [], { port: undefined }), app('worker', ['web', 'migrate'])]);
    expect(levels.map(names)).toEqual([['postgres', 'redis', 'migrate'], ['web'], ['worker']]);
  });

  it('treats a dependency outside the given services as met (it is already running)', () => {
    expect(startLevels([app('web', ['postgres'])]).map(names)).toEqual([['web']]);
  });

  it('returns what cannot be ordered as a last level rather than looping', () => {
    expect(startLevels([pg, app('a', ['b']), app('b', ['a'])]).map(names)).toEqual([['postgres'], ['a', 'b']]);
  });
});

describe('isOneShot', () => {
  it('is an app with neither port nor health URL', () => {
    expect(isOneShot(app('job', [], { port: undefined }))).toBe(true);
    expect(isOneShot(app('web'))).toBe(false);
    expect(isOneShot(app('checker', [], { port: undefined, health: 'http://localhost:9/health' }))).toBe(false);
    expect(isOneShot(pg)).toBe(false);
  });
});
