import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectId } from '../../src/config/load.js';
import { isAlive, processStartTicks } from '../../src/runtime/native/proc.js';
import { asOtherUser, canSwitchUser, otherUsersProcess } from '../helpers/local-user.js';
import { freePort, projectsPerTest, TM, type TempProject } from '../helpers/project.js';
import { postgresProgram } from '../helpers/postgres-bin.js';

// What another local user can do to a stack tm runs as root, done by a real second account
// (`nobody`, through runuser) against the built tm and real Postgres and Redis servers.
const PSQL = await postgresProgram('psql');
const cannot = await canSwitchUser();
if (cannot) console.warn(`skipping local-user security tests: ${cannot}`);

const { project, alsoRemove } = projectsPerTest();

/** The socket directory an older tm computed from the project's name and path. */
function guessableSocketDir(p: TempProject, name = 'demo'): string {
  return join(tmpdir(), `tm-${createHash('sha256').update(projectId(name, p.dir)).digest('hex').slice(0, 10)}`);
}

/** Every directory under the temp folder holding this server's socket. */
async function socketDirs(port: number): Promise<string[]> {
  const dirs = (await readdir(tmpdir())).filter((d) => d.startsWith('tm-')).map((d) => join(tmpdir(), d));
  return dirs.filter((d) => existsSync(join(d, `.s.PGSQL.${port}`)));
}

/** The other user tries psql as the bootstrap superuser over a socket directory. */
const superuserVia = (dir: string, port: number) => asOtherUser(PSQL, ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-tAc', 'SELECT 1']);

describe.skipIf(cannot)('another local user and the Postgres socket directory', () => {
  it('cannot become superuser through a socket directory made beforehand with mode 0777', async () => {
    const p = await project();
    const planted = guessableSocketDir(p);
    alsoRemove(planted);
    expect((await asOtherUser('mkdir', ['-m', '777', planted])).exitCode).toBe(0);

    const up = await p.tm(['up']);
    expect(up.exitCode, up.stderr).toBe(0);

    expect((await superuserVia(planted, p.pgPort)).exitCode).not.toBe(0);
    const used = await socketDirs(p.pgPort);
    expect(used.length).toBe(1);
    const st = await lstat(used[0]!);
    expect(st.isDirectory()).toBe(true);
    expect((st.mode & 0o777).toString(8)).toBe('700');
    expect(st.uid).not.toBe(65534);
    // Nor through the directory tm did use: the kernel keeps the other user out of it.
    expect((await superuserVia(used[0]!, p.pgPort)).exitCode).not.toBe(0);

    // tm down removes the directory it made; the planted one is not tm's to delete.
    expect((await p.tm(['down'])).exitCode).toBe(0);
    expect(existsSync(used[0]!)).toBe(false);
    expect(existsSync(planted)).toBe(true);
  });

  it('does not hand a directory a symlink points at to the postgres user', async () => {
    const p = await project();
    const victim = await mkdtemp(join(tmpdir(), 'tm-victim-'));
    await chmod(victim, 0o755);
    const planted = guessableSocketDir(p);
    alsoRemove(victim, planted);
    expect((await asOtherUser('ln', ['-s', victim, planted])).exitCode).toBe(0);

    const up = await p.tm(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const st = await stat(victim);
    expect(st.uid).toBe(0);
    expect((st.mode & 0o777).toString(8)).toBe('755');
    expect(await readdir(victim)).toEqual([]);
  });

  it(`refuses a data directory under /var/lib/taskmaster that is a symlink (made before tm ran)`, async () => {
    // A project the postgres user cannot reach (a 0700 folder of root's): its data goes to /var/lib/taskmaster.
    const hidden = await mkdtemp(join(tmpdir(), 'tm-private-'));
    alsoRemove(hidden);
    const p = await project({ name: 'vlt', parent: hidden });
    expect((await stat(hidden)).mode & 0o077).toBe(0);
    const victim = await mkdtemp(join(tmpdir(), 'tm-victim-'));
    alsoRemove(victim);
    await mkdir('/var/lib/taskmaster', { recursive: true });
    const external = join('/var/lib/taskmaster', projectId('vlt', p.dir));
    alsoRemove(external);
    await symlink(victim, external);

    const up = await p.tm(['up']);
    expect(up.exitCode).toBe(4);
    expect(up.stderr).toContain(`error TM_UNSAFE_PATH refusing to use ${external}: it is a symbolic link`);
    expect(await readdir(victim)).toEqual([]);
  });
});

/** Writes a PID file by hand, as a hostile repository or another tool could. */
async function plantPidFile(p: TempProject, service: string, record: Record<string, unknown>) {
  await mkdir(join(p.dir, '.taskmaster', 'run'), { recursive: true });
  await writeFile(join(p.dir, '.taskmaster', 'run', `${service}.pid`), JSON.stringify({ startedAt: new Date().toISOString(), command: 'x', ...record }));
}

/** An app service that serves on its port until stopped. */
const webApp = (port: number) => `  web:
    command: ["node", "-e", "require('http').createServer((q, r) => r.end('ok')).listen(${port})"]
    port: ${port}
    health: http://127.0.0.1:${port}/
`;

describe.skipIf(cannot)('PID files are claims, checked against the running process before any signal', () => {
  it("does not stop another user's process named by a hand-written PID file, with or without its start time", async () => {
    const p = await project();
    const victim = await otherUsersProcess();
    try {
      await plantPidFile(p, 'redis', { pid: victim.pid });
      let down = await p.tm(['down', 'redis']);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await isAlive(victim.pid)).toBe(true);

      // Everything a PID file can claim, claimed: the start time, this project, the port.
      await plantPidFile(p, 'redis', { pid: victim.pid, startTicks: await processStartTicks(victim.pid), project: p.dir, port: p.redisPort });
      const status = JSON.parse((await p.tm(['status', '--json'])).stdout);
      expect(status.services.find((s: { name: string }) => s.name === 'redis')).toMatchObject({
        state: 'stopped',
        detail: expect.stringContaining("is not this project's redis"),
      });
      await plantPidFile(p, 'redis', { pid: victim.pid, startTicks: await processStartTicks(victim.pid), project: p.dir, port: p.redisPort });
      down = await p.tm(['down']);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await isAlive(victim.pid)).toBe(true);
    } finally {
      await victim.kill();
    }
  });

  it("does not stop a foreign process group named by an app's PID file", async () => {
    const port = await freePort();
    const p = await project({ name: 'grp', extra: webApp(port) });
    const victim = await otherUsersProcess({ detached: true });
    try {
      // The supervisor is long gone; the group is another user's.
      await plantPidFile(p, 'web', { pid: 999_999_99, pgid: victim.pid });
      expect((await p.tm(['down', 'web'])).exitCode).toBe(0);
      expect(await isAlive(victim.pid)).toBe(true);
      await plantPidFile(p, 'web', { pid: 999_999_99, pgid: victim.pid, pgidStartTicks: await processStartTicks(victim.pid), project: p.dir });
      expect((await p.tm(['down', 'web'])).exitCode).toBe(0);
      expect(await isAlive(victim.pid)).toBe(true);
    } finally {
      await victim.kill();
    }
  });

  it("a copied project (cp -a) does not stop the original's services", async () => {
    const port = await freePort();
    const p = await project({ name: 'orig', extra: webApp(port) });
    const up = await p.tm(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const pids = JSON.parse(up.stdout).services.map((s: { pid: number }) => s.pid);
    expect(pids.every((pid: number) => pid > 0)).toBe(true);
    const copy = `${p.dir}-copy`;
    alsoRemove(copy);
    await execa('cp', ['-a', p.dir, copy]);

    const tmCopy = (args: string[]) => execa(process.execPath, [TM, '-C', copy, ...args], { reject: false, env: { NO_COLOR: '1' } });
    const status = JSON.parse((await tmCopy(['status', '--json'])).stdout);
    expect(status.services.map((s: { state: string }) => s.state)).toEqual(['stopped', 'stopped', 'stopped']);
    const down = await tmCopy(['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    for (const pid of pids) expect(await isAlive(pid)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const original = JSON.parse((await p.tm(['status', '--json'])).stdout);
    expect(original.services.map((s: { state: string }) => s.state)).toEqual(['running', 'running', 'running']);
  });

  it('warns in tm doctor when .taskmaster/ is tracked by git', async () => {
    const p = await project();
    await plantPidFile(p, 'redis', { pid: 1 });
    const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: p.dir });
    await git('init', '-q');
    await git('add', '.taskmaster/run/redis.pid', 'taskmaster.yml');
    await git('commit', '-qm', 'state committed by mistake');
    const r = await p.tm(['doctor', '--json']);
    const finding = JSON.parse(r.stdout).findings.find((f: { id: string }) => f.id === 'state-git');
    expect(finding).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('.taskmaster/run/redis.pid'),
      fix: expect.stringContaining('git rm -r --cached .taskmaster'),
    });
    // And PID 1 (init), named by the committed file, is not this project's redis.
    const status = JSON.parse((await p.tm(['status', '--json'])).stdout);
    expect(status.services.find((s: { name: string }) => s.name === 'redis').state).toBe('stopped');
  });

  it('counts a zombie as stopped, whatever its PID file says', async () => {
    const p = await project();
    // The child exits at once; its parent execs a sleep that never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      await waitFor(async () => (await readFile(`/proc/${zombie}/stat`, 'utf8')).includes(') Z '));
      await plantPidFile(p, 'redis', { pid: zombie, startTicks: await processStartTicks(zombie), project: p.dir });
      const status = JSON.parse((await p.tm(['status', '--json'])).stdout);
      expect(status.services.find((s: { name: string }) => s.name === 'redis')).toMatchObject({
        state: 'stopped',
        detail: expect.stringContaining(`process ${zombie} is gone`),
      });
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The IPv4 addresses a port listens on, from /proc/net/tcp (what the kernel says, not the config). */
async function listeningOn(port: number): Promise<string[]> {
  const lines = (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1);
  const out: string[] = [];
  for (const line of lines) {
    const [, local, , st] = line.trim().split(/\s+/);
    if (!local || st !== '0A') continue;
    const [hex, p] = local.split(':');
    if (parseInt(p!, 16) !== port) continue;
    out.push(Buffer.from(hex!, 'hex').reverse().join('.'));
  }
  return out;
}

/** An address of this machine that other machines can reach (not loopback), if it has one. */
const networkAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

describe('services stay off the network unless protected', () => {
  it('host: 0.0.0.0 keeps native Postgres and a password-less Redis on loopback, as the compose file does', async () => {
    const p = await project({ name: 'wild' });
    await writeFile(
      join(p.dir, 'taskmaster.yml'),
      (await readFile(join(p.dir, 'taskmaster.yml'), 'utf8'))
        .replace(`port: ${p.pgPort},`, `port: ${p.pgPort}, host: 0.0.0.0,`)
        .replace(`port: ${p.redisPort} }`, `port: ${p.redisPort}, host: 0.0.0.0 }`),
    );
    const compose = await p.tm(['render', 'compose']);
    expect(compose.exitCode, compose.stderr).toBe(0);
    expect(compose.stdout).toContain(`127.0.0.1:${p.redisPort}:6379`);
    expect(compose.stdout).toContain(`127.0.0.1:${p.pgPort}:5432`);

    const up = await p.tm(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await listeningOn(p.redisPort)).toEqual(['127.0.0.1']);
    expect(await listeningOn(p.pgPort)).toEqual(['127.0.0.1']);
    // pg_hba.conf stays as initdb wrote it: trust only on the (private) socket, TCP with a password from loopback.
    const { stdout: hba } = await execa(
      PSQL,
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(p.pgPort),
        '-U',
        'wild_user',
        '-d',
        'wild_db',
        '-tAc',
        "SELECT type || ' ' || coalesce(address, '-') || ' ' || auth_method FROM pg_hba_file_rules ORDER BY line_number",
      ],
      { env: { PGPASSWORD: 'pw-wild-secret' } },
    );
    expect([...new Set(hba.split('\n').filter((l) => l.startsWith('host')))]).toEqual(['host 127.0.0.1 scram-sha-256', 'host ::1 scram-sha-256']);
    expect(hba).not.toMatch(/^host.* trust$/m);
  });

  it.skipIf(!networkAddress)('refuses a password-less Redis on an address other machines reach, in both runtimes, and names the fix', async () => {
    const p = await project({ name: 'open' });
    const file = join(p.dir, 'taskmaster.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(`port: ${p.redisPort} }`, `port: ${p.redisPort}, host: ${networkAddress} }`));
    for (const args of [['up'], ['up', '--runtime', 'docker'], ['render', 'compose']]) {
      const r = await p.tm(args);
      expect(r.exitCode, args.join(' ')).toBe(3);
      expect(r.stderr).toContain(
        `services.redis.host: a Redis without a password would listen on ${networkAddress}, which other machines can reach: set services.redis.password`,
      );
    }
    expect(await listeningOn(p.redisPort)).toEqual([]);

    // With a password it may: and then it asks everyone for it.
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(`host: ${networkAddress} }`, `host: ${networkAddress}, password: "redis-pw-${process.pid}" }`),
    );
    const up = await p.tm(['up', 'redis']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await listeningOn(p.redisPort)).toEqual([networkAddress]);
    const anonymous = await execa('redis-cli', ['-h', networkAddress!, '-p', String(p.redisPort), 'ping'], { reject: false });
    expect(anonymous.stdout).toMatch(/NOAUTH/);
  });
});

describe('state that came with the repository', () => {
  it("a committed roles stamp does not make tm skip setting up the project's role", async () => {
    const p = await project({ name: 'stamp' });
    expect((await p.tm(['up', 'postgres'])).exitCode).toBe(0);
    const stamp = await readFile(join(p.dir, '.taskmaster', 'run', 'postgres.roles'), 'utf8');
    // The same project, cloned afresh elsewhere, with the stamp committed: a new data directory.
    expect((await p.tm(['down', '--volumes'])).exitCode).toBe(0);
    await mkdir(join(p.dir, '.taskmaster', 'run'), { recursive: true });
    await writeFile(join(p.dir, '.taskmaster', 'run', 'postgres.roles'), stamp);
    const up = await p.tm(['up', 'postgres']);
    expect(up.exitCode, up.stderr).toBe(0);
    const { stdout } = await execa(PSQL, ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'stamp_user', '-d', 'stamp_db', '-tAc', 'SELECT current_user'], {
      env: { PGPASSWORD: 'pw-stamp-secret' },
    });
    expect(stdout.trim()).toBe('stamp_user');
  });
});

describe('the same project by another path', () => {
  it('tm down through a symbolic link to the project stops what tm up started', async () => {
    const port = await freePort();
    const p = await project({ name: 'linked', extra: webApp(port) });
    // Data inside the project, as for a user who is not root (under /var/lib/taskmaster it is
    // keyed by the project id, a hash of the path as spelled).
    await chmod(p.dir, 0o755);
    const up = await p.tm(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const pids = JSON.parse(up.stdout).services.map((s: { pid: number }) => s.pid);
    const link = `${p.dir}-link`;
    alsoRemove(link);
    await symlink(p.dir, link);
    const viaLink = (args: string[]) => execa(process.execPath, [TM, '-C', link, ...args], { reject: false, env: { NO_COLOR: '1' } });
    const status = JSON.parse((await viaLink(['status', '--json'])).stdout);
    expect(status.services.map((s: { state: string }) => s.state)).toEqual(['running', 'running', 'running']);
    expect((await viaLink(['down'])).exitCode).toBe(0);
    for (const pid of pids) expect(await isAlive(pid)).toBe(false);
  });
});
