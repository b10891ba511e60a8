import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectId } from '../../src/config/load.js';
import { asOtherUser, canSwitchUser } from '../helpers/local-user.js';
import { projectsPerTest, type TempProject } from '../helpers/project.js';

// What another local user can do to a stack tm runs as root, done by a real second account
// (`nobody`, through runuser) against the built tm and real Postgres and Redis servers.
const PSQL = '/usr/lib/postgresql/15/bin/psql';
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
