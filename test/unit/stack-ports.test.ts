import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { applyStack, describePorts, movePort, portMap, type StackRecord } from '../../src/config/stack.js';
import { staleServiceUrls } from '../../src/doctor/targets.js';
import type { EnvState } from '../../src/env/resolve.js';

// A stack's own ports laid over the config as it loads (config/stack.ts), where it is pure: the
// record is given, not read from .taskmaster/stack.json.

const source = `name: shop
services:
  postgres: { port: 55432, database: shop }
  redis: { port: 56379 }
  web:
    command: node server.js
    port: 3000
    health: http://localhost:3000/health
    env:
      CACHE: redis://127.0.0.1:56379/0
      UPSTREAM: http://api.example.com:3000
      PLAIN: "56379"
`;
const config = parseConfig(source, { file: '/p/taskmaster.yml', root: '/p', vars: {} });
const block = { postgres: { port: 20000 }, redis: { port: 20001 }, web: { port: 20002 } };
const record: StackRecord = { version: 1, path: '/p', ports: block };

describe('applyStack', () => {
  it("gives every service the block's port and moves the URLs of the config that point at a moved port on this machine", () => {
    const stack = applyStack(config, record);
    expect(portMap(stack.services)).toEqual(block);
    expect(stack.stack).toEqual({ mode: 'allocated', configured: { postgres: { port: 55432 }, redis: { port: 56379 }, web: { port: 3000 } } });
    const web = stack.services.find((s) => s.name === 'web');
    expect(web).toMatchObject({
      health: 'http://localhost:20002/health',
      env: { CACHE: 'redis://127.0.0.1:20001/0', UPSTREAM: 'http://api.example.com:3000', PLAIN: '56379' },
    });
  });

  it('is the same applied twice (taskmaster.yml ports stay the reference)', () => {
    const once = applyStack(config, record);
    expect(applyStack(once, record)).toEqual(once);
  });

  it("keeps taskmaster.yml's ports for the first stack, a stack not up yet, and ports: fixed", () => {
    expect(applyStack(config, { ...record, ports: null }).stack.mode).toBe('configured');
    expect(applyStack(config, undefined).stack.mode).toBe('unassigned');
    const fixed = applyStack({ ...config, ports: 'fixed' }, record);
    expect(fixed.stack.mode).toBe('fixed');
    expect(portMap(fixed.services)).toEqual(fixed.stack.configured);
  });
});

describe('movePort', () => {
  const moves = new Map([[5432, 20000]]);
  it('moves only the port of a URL on this machine, leaving the rest of the text as written', () => {
    expect(movePort('postgres://u:p@localhost:5432/db?sslmode=disable', moves)).toBe('postgres://u:p@localhost:20000/db?sslmode=disable');
    expect(movePort('http://[::1]:5432', moves)).toBe('http://[::1]:20000');
    expect(movePort('http://0.0.0.0:5432', moves)).toBe('http://0.0.0.0:20000');
  });

  it('leaves other machines, other ports and values that are not URLs', () => {
    for (const v of ['postgres://db.example.com:5432/db', 'http://localhost:5433', 'localhost:5432', '5432', 'http://localhost/x'])
      expect(movePort(v, moves)).toBe(v);
  });
});

describe('describePorts', () => {
  it('lists each service with its ports', () => {
    expect(describePorts({ postgres: { port: 20000 }, rabbitmq: { port: 20001, management_port: 20002 } })).toBe('postgres 20000, rabbitmq 20001/20002');
  });
});

describe('staleServiceUrls with the other stacks of the machine', () => {
  const stack = applyStack(config, record);
  const state: EnvState = {
    vars: new Map([
      ['DATABASE_URL', { key: 'DATABASE_URL', value: 'postgres://u:p@127.0.0.1:55432/shop', source: 'file', file: '.env', line: 1 }],
      ['REDIS_URL', { key: 'REDIS_URL', value: 'redis://127.0.0.1:6379', source: 'file', file: '.env', line: 2 }],
    ]),
    warnings: [],
    files: ['.env'],
  };

  it("names the stack whose port a URL uses, and the stack's own port as the fix", () => {
    const stale = staleServiceUrls(stack, state, [{ path: '/main', ports: stack.stack.configured }]);
    expect(stale).toEqual([
      { service: 'postgres', key: 'DATABASE_URL', where: '.env:1', port: 55432, expected: 20000, stack: '/main' },
      { service: 'redis', key: 'REDIS_URL', where: '.env:2', port: 6379, expected: 20001, stack: undefined },
    ]);
  });
});
