import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/cache.js';
import { loadConfig } from '../../src/config/load.js';

// The config cache on a real file system: a hit must equal a fresh load, and every input
// loadConfig reads must change the key.
let dir: string;
const yml = (port: string) => `name: cached
services:
  postgres: { port: ${port}, password: "\${PG_PASSWORD:-devpw}" }
env:
  LOG_LEVEL: { enum: [info, debug], default: info }
`;
const cacheFile = () => join(dir, '.taskmaster', 'cache', 'config.json');
const load = async (env: NodeJS.ProcessEnv = {}, cwd = dir) => (await loadProject({ cwd, env })).config;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tm-config-cache-'));
  await writeFile(join(dir, 'taskmaster.yml'), yml('5432'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config cache', () => {
  it('writes nothing until the project has a .taskmaster directory', async () => {
    await load();
    await expect(stat(join(dir, '.taskmaster'))).rejects.toThrow(/ENOENT/);
  });

  it('a hit is the config a fresh load gives, and the entry is private (0600)', async () => {
    await mkdir(join(dir, '.taskmaster'));
    const first = await load();
    expect((await stat(cacheFile())).mode & 0o777).toBe(0o600);
    // Edit the stored config (and its checksum, as a deliberate edit would): a second load
    // under the same key must come from the file.
    const entry = JSON.parse(await readFile(cacheFile(), 'utf8'));
    entry.config.name = 'from-the-cache';
    entry.sum = createHash('sha256')
      .update(JSON.stringify([entry.config, entry.secrets, entry.secretWarnings]))
      .digest('hex');
    await writeFile(cacheFile(), JSON.stringify(entry));
    const second = await load();
    expect(second.name).toBe('from-the-cache');
    expect({ ...second, name: 'cached' }).toEqual(JSON.parse(JSON.stringify(first)));
    expect(JSON.parse(JSON.stringify(first))).toEqual(JSON.parse(JSON.stringify(await loadConfig({ cwd: dir, env: {} }))));
  });

  it('misses when taskmaster.yml, an env file, an interpolated variable or the cwd changes', async () => {
    await mkdir(join(dir, '.taskmaster'));
    await mkdir(join(dir, 'sub'));
    const pg = async (env?: NodeJS.ProcessEnv, cwd?: string) =>
      (await load(env, cwd)).services.find((s) => s.kind === 'postgres') as { port: number; password: string };
    expect(await pg()).toMatchObject({ port: 5432, password: 'devpw' });
    await writeFile(join(dir, 'taskmaster.yml'), yml('5433'));
    expect((await pg()).port).toBe(5433);
    await writeFile(join(dir, '.env'), 'PG_PASSWORD=from-env-file\n');
    expect((await pg()).password).toBe('from-env-file');
    await writeFile(join(dir, '.env.local'), 'PG_PASSWORD=from-env-local\n');
    expect((await pg()).password).toBe('from-env-local');
    expect((await pg({ PG_PASSWORD: 'from-process' })).password).toBe('from-process');
    expect((await pg({})).password).toBe('from-env-local');
    // Messages name taskmaster.yml relative to the cwd: another cwd, another entry.
    await writeFile(join(dir, 'taskmaster.yml'), `name: cached\nservices:\n  redis: { password: "\${REDIS_PW}" }\n`);
    expect((await load({}, dir)).warnings[0]!.file).toBe('taskmaster.yml');
    expect((await load({}, join(dir, 'sub'))).warnings[0]!.file).toBe(join(dir, 'taskmaster.yml'));
  });

  it('warnings survive the cache (an unset variable is still reported on a hit)', async () => {
    await mkdir(join(dir, '.taskmaster'));
    await writeFile(join(dir, 'taskmaster.yml'), `name: cached\nservices:\n  redis: { password: "\${REDIS_PW}" }\n`);
    const first = await load();
    const second = await load();
    expect(first.warnings).toHaveLength(1);
    expect(second.warnings).toEqual(first.warnings);
    expect(second.warnings[0]!.message).toContain('${REDIS_PW} is not set');
  });

  it('keeps the secret values for masking, and a process variable the contract names changes them', async () => {
    await mkdir(join(dir, '.taskmaster'));
    await writeFile(join(dir, 'taskmaster.yml'), `name: cached\nenv:\n  SESSION_SECRET: { type: secret }\n  DATABASE_URL: { type: postgres-url }\n`);
    await writeFile(join(dir, '.env'), 'SESSION_SECRET=from-the-env-file-0123456789\nDATABASE_URL=postgres://app:url-pw@127.0.0.1:5432/app\n');
    expect((await loadProject({ cwd: dir, env: {} })).secrets).toEqual(expect.arrayContaining(['from-the-env-file-0123456789', 'url-pw']));
    expect((await loadProject({ cwd: dir, env: {} })).secrets).toContain('from-the-env-file-0123456789');
    const overridden = await loadProject({ cwd: dir, env: { SESSION_SECRET: 'from-the-process-0123456789' } });
    expect(overridden.secrets).toContain('from-the-process-0123456789');
    expect(overridden.secrets).not.toContain('from-the-env-file-0123456789');
    // A variable no file names cannot change anything: it does not change the key.
    const before = JSON.parse(await readFile(cacheFile(), 'utf8')).key;
    await loadProject({ cwd: dir, env: { SESSION_SECRET: 'from-the-process-0123456789', UNRELATED_THING: 'x' } });
    expect(JSON.parse(await readFile(cacheFile(), 'utf8')).key).toBe(before);
  });

  it('a damaged entry whose key still matches is a miss: read again, and written whole', async () => {
    await mkdir(join(dir, '.taskmaster'));
    const good = await load();
    const entry = JSON.parse(await readFile(cacheFile(), 'utf8'));
    for (const damage of [{ services: 'oops' }, { ...entry.config, services: [{ name: 'postgres' }] }, null]) {
      await writeFile(cacheFile(), JSON.stringify({ ...entry, config: damage }));
      expect(await load()).toEqual(good);
      expect(JSON.parse(await readFile(cacheFile(), 'utf8')).config).toEqual(JSON.parse(JSON.stringify(good)));
    }
    await writeFile(cacheFile(), JSON.stringify({ ...entry, secrets: 42 }));
    // Read again: the Postgres password is the project's one secret.
    expect((await loadProject({ cwd: dir, env: {} })).secrets).toEqual(['devpw']);
  });
});
