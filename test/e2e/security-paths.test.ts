import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, projectsPerTest } from '../helpers/project.js';

// A repository that commits symbolic links leading out of the project: tm must not write or
// delete through them. Everything "outside" is a temporary folder standing in for $HOME.
const { project, alsoRemove } = projectsPerTest();

async function outsideFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-home-'));
  alsoRemove(dir);
  return dir;
}

describe('symbolic links out of the project', () => {
  it('tm down --volumes does not delete through a committed .taskmaster/data -> ../../.. (a service named Documents)', async () => {
    const home = await outsideFolder();
    await mkdir(join(home, 'Documents'));
    await writeFile(join(home, 'Documents', 'thesis.txt'), 'four years of work\n');
    const p = await project({ name: 'docs', extra: `  Documents: { kind: redis, port: ${await freePort()} }\n` });
    await mkdir(join(p.dir, '.taskmaster'));
    await symlink(relative(join(p.dir, '.taskmaster'), home), join(p.dir, '.taskmaster', 'data'));

    const r = await p.tm(['down', '--volumes']);
    expect(await readFile(join(home, 'Documents', 'thesis.txt'), 'utf8')).toBe('four years of work\n');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error TM_OUTSIDE_PROJECT refusing to write or delete');
    expect(r.stderr).toContain(`it leads outside the project through a symbolic link (.taskmaster/data -> ${home})`);
  });

  it('tm up writes no log through a symlinked .taskmaster/logs or a symlinked log file', async () => {
    const home = await outsideFolder();
    await writeFile(join(home, '.bashrc'), 'alias ll="ls -l"\n');
    const p = await project({ name: 'logs' });
    await mkdir(join(p.dir, '.taskmaster'));
    await symlink(home, join(p.dir, '.taskmaster', 'logs'));
    const viaFolder = await p.tm(['up', 'redis']);
    expect(viaFolder.exitCode).toBe(1);
    expect(viaFolder.stderr).toContain('TM_OUTSIDE_PROJECT');
    expect(await readdir(home)).toEqual(['.bashrc']);

    // The folder is real, but the log file in it is a link to a file of the user's.
    await import('node:fs/promises').then((fs) => fs.unlink(join(p.dir, '.taskmaster', 'logs')));
    await mkdir(join(p.dir, '.taskmaster', 'logs'));
    await symlink(join(home, '.bashrc'), join(p.dir, '.taskmaster', 'logs', 'redis.log'));
    const viaFile = await p.tm(['up', 'redis']);
    expect(viaFile.exitCode).toBe(1);
    expect(viaFile.stderr).toMatch(/TM_OUTSIDE_PROJECT refusing to write .*redis\.log: it is a symbolic link/);
    expect(await readFile(join(home, '.bashrc'), 'utf8')).toBe('alias ll="ls -l"\n');
  });

  it('tm render --out does not write through a symlinked folder (exit 2)', async () => {
    const home = await outsideFolder();
    const p = await project({ name: 'out' });
    await symlink(home, join(p.dir, 'link'));
    const r = await p.tm(['render', 'compose', '--out', 'link/compose.yml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      'error TM_RENDER_OUTSIDE refusing to write or delete link/compose.yml: it leads outside the project through a symbolic link (link -> ',
    );
    const k8s = await p.tm(['render', 'k8s', '--out', 'link/k8s']);
    expect(k8s.exitCode).toBe(2);
    expect(await readdir(home)).toEqual([]);
  });

  it('tm db new does not write where a hostile db.migrations points (../elsewhere)', async () => {
    const home = await outsideFolder();
    const p = await project({ name: 'mig' });
    await writeFile(join(p.dir, 'taskmaster.yml'), `name: mig\ndb:\n  migrations: ${relative(p.dir, home)}\n`);
    const r = await p.tm(['db', 'new', 'create_users']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('it is outside the project directory');
    expect(await readdir(home)).toEqual([]);
    expect(existsSync(join(p.dir, 'db'))).toBe(false);
  });
});
