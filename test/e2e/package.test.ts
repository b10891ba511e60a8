import { execa } from 'execa';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmVersion } from '../../src/render/template.js';
import { PACKAGE_NAME } from '../../src/util/package-name.js';
import { packTm, pathWithoutCheckout } from '../helpers/pack.js';
import { freePort } from '../helpers/project.js';

// tm as a stranger gets it: the packed tarball (standing in for the registry) installed into an
// empty folder outside this checkout, then every template from init to down with that tm.
let tarball: string;
let home: string;
// npm takes what its cache has without asking the registry again (the tests install the same packages).
const env = () => ({
  NO_COLOR: '1',
  PATH: pathWithoutCheckout(),
  TM_PACKAGE_SPEC: `file:${tarball}`,
  npm_config_user_agent: '',
  npm_config_prefer_offline: 'true',
});
const run = (file: string, args: string[], cwd: string, extra: Record<string, string> = {}) =>
  execa(file, args, { cwd, reject: false, env: { ...env(), ...extra }, extendEnv: true, timeout: 240_000 });

beforeAll(async () => {
  tarball = await packTm();
  home = await mkdtemp(join(tmpdir(), 'tm-stranger-'));
  const install = await run('npm', ['install', '--no-audit', '--no-fund', tarball], home);
  expect(install.exitCode, String(install.stderr)).toBe(0);
}, 240_000);
afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

describe('the published package', () => {
  it('is taskmaster-cli and holds what runs and nothing else', async () => {
    expect(PACKAGE_NAME).toBe('taskmaster-cli');
    expect(basename(tarball)).toBe(`taskmaster-cli-${tmVersion()}.tgz`);
    const files = (await execa('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean);
    const outside = files.filter(
      (f) => !/^package\/(bin|dist|templates)\//.test(f) && !['package/package.json', 'package/README.md', 'package/LICENSE'].includes(f),
    );
    expect(outside).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/bin/tm.js', 'package/dist/cli/main.js']));
    const pkg = JSON.parse(await readFile(join(home, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'taskmaster-cli', license: 'MIT', bin: { tm: 'bin/tm.js', taskmaster: 'bin/tm.js' } });
    expect(await readFile(join(home, 'node_modules', PACKAGE_NAME, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('npx tm --version and npx taskmaster --version from the folder it was installed in', async () => {
    for (const bin of ['tm', 'taskmaster']) {
      const r = await run('npx', ['--no-install', bin, '--version'], home);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stdout).trim()).toBe(tmVersion());
    }
  });

  describe.each(['minimal', 'express-pg', 'next-prisma'])('%s: npx tm init, tm up on local binaries, npm test, tm doctor, tm down --volumes', (template) => {
    it('works as printed, with no warnings, also from a fresh CI clone', async () => {
      const ports = ['--pg-port', String(await freePort()), '--redis-port', String(await freePort()), '--app-port', String(await freePort())];
      const init = await run('npx', ['--no-install', 'tm', 'init', template, '--template', template, '--yes', '--runtime', 'native', ...ports], home);
      expect(init.exitCode, String(init.stderr)).toBe(0);
      expect(init.stderr).toContain('installing dependencies (npm install)');
      expect(init.stdout).toContain(`next: cd ${template} && tm up`);
      const dir = join(home, template);
      // The project's own tm is the packed one, installed by tm init.
      const tm = join(dir, 'node_modules', '.bin', 'tm');
      expect(JSON.parse(await readFile(join(dir, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8')).version).toBe(tmVersion());
      try {
        const before = await run(tm, ['doctor', '--json'], dir);
        expect(JSON.parse(before.stdout), before.stdout).toMatchObject({ problems: 0, warnings: 0 });

        const up = await run(tm, ['up'], dir);
        expect(up.exitCode, String(up.stderr)).toBe(0);
        expect(up.stderr).not.toContain('warning');
        const test = await run('npm', ['test'], dir);
        expect(test.exitCode, String(test.stdout) + String(test.stderr)).toBe(0);
        const doctor = await run(tm, ['doctor', '--json'], dir);
        const findings = JSON.parse(doctor.stdout);
        expect(
          findings.findings.filter((f: { status: string }) => f.status !== 'ok'),
          doctor.stdout,
        ).toEqual([]);
        expect(findings).toMatchObject({ status: 'ok', problems: 0, warnings: 0 });

        if (template !== 'minimal') await freshCiClone(dir, tm);
      } finally {
        const down = await run(tm, ['down', '--volumes'], dir);
        expect(down.exitCode, String(down.stderr)).toBe(0);
      }
    }, 300_000);
  });
});

/**
 * What the rendered workflow runs on a fresh clone (no .env, no .taskmaster), with the
 * workflow's env: no warning, and tm ci --external passes. The database is this machine's
 * stack, so only the password in DATABASE_URL is the local one.
 */
async function freshCiClone(dir: string, tm: string): Promise<void> {
  const clone = await mkdtemp(join(tmpdir(), 'tm-ci-clone-'));
  try {
    await cp(dir, clone, { recursive: true, filter: (src) => !/(^|\/)(\.env|\.env\.local|\.taskmaster|node_modules)$/.test(src.slice(dir.length)) });
    const job = parse(await readFile(join(clone, '.github/workflows/ci.yml'), 'utf8')).jobs.test;
    const local = /^DATABASE_URL=(.*)$/m.exec(await readFile(join(dir, '.env'), 'utf8'))![1]!;
    const ci = await run(tm, ['ci', '--external'], clone, { ...job.env, DATABASE_URL: local, CI: 'true' });
    expect(ci.exitCode, String(ci.stderr)).toBe(0);
    expect(ci.stderr).not.toMatch(/warning/i);
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
}
