import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkedOutFrom, defaultBranch, findGit, localBranches, readHead } from '../../src/config/git.js';

// tm reads the branch from .git's files, with no git process: each case is made here with the
// real git binary, and what tm reads is checked against what git did.

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function repo(): Promise<{ dir: string; git: (...args: string[]) => Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-git-'));
  made.push(dir);
  const git = async (...args: string[]) =>
    (await execa('git', args, { cwd: dir, env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }))
      .stdout;
  await git('init', '-q', '-b', 'main');
  await writeFile(join(dir, 'f'), '1');
  await git('add', 'f');
  await git('commit', '-qm', 'one');
  return { dir, git };
}

describe('reading git without git', () => {
  it('branches, a detached HEAD, packed refs and the default branch', async () => {
    const { dir, git } = await repo();
    const g = findGit(join(dir))!;
    expect(readHead(g)).toEqual({ branch: 'main' });
    await git('checkout', '-q', '-b', 'feature/a');
    expect(readHead(g)).toEqual({ branch: 'feature/a' });
    await git('checkout', '-q', '--detach');
    expect(readHead(g)).toEqual({ detached: await git('rev-parse', 'HEAD') });
    await git('branch', 'packed-one');
    await git('pack-refs', '--all');
    await git('branch', 'loose-one');
    expect([...localBranches(g)].sort()).toEqual(['feature/a', 'loose-one', 'main', 'packed-one']);
    expect(defaultBranch(g)).toBe('main');
    expect(defaultBranch(g, 'trunk')).toBe('trunk');
    await git('branch', '-q', '-m', 'main', 'master');
    expect(defaultBranch(g)).toBe('master');
  });

  it("origin's HEAD names the default branch of a clone", async () => {
    const { dir } = await repo();
    const clone = `${dir}-clone`;
    made.push(clone);
    await execa('git', ['clone', '-q', dir, clone]);
    await execa('git', ['checkout', '-q', '-b', 'develop'], { cwd: clone });
    await execa('git', ['branch', '-q', '-m', 'main', 'old-main'], { cwd: clone });
    expect(defaultBranch(findGit(clone)!)).toBe('main');
  });

  it('a worktree (its .git is a file) has its own HEAD and shares the branches; a subfolder finds the checkout', async () => {
    const { dir, git } = await repo();
    const wt = `${dir}-wt`;
    made.push(wt);
    await git('worktree', 'add', '-q', '-b', 'wt-branch', wt);
    const g = findGit(join(wt))!;
    expect(g.top).toBe(wt);
    expect(readHead(g)).toEqual({ branch: 'wt-branch' });
    expect(readHead(findGit(dir)!)).toEqual({ branch: 'main' });
    expect(localBranches(g).has('main')).toBe(true);
    await execa('mkdir', ['-p', join(wt, 'sub/deeper')]);
    expect(readHead(findGit(join(wt, 'sub/deeper'))!)).toEqual({ branch: 'wt-branch' });
  });

  it('during a rebase HEAD is detached, and belongs to the branch being rebased', async () => {
    const { dir, git } = await repo();
    await git('checkout', '-q', '-b', 'topic');
    await writeFile(join(dir, 'f'), 'topic');
    await git('commit', '-qam', 'topic');
    await git('checkout', '-q', 'main');
    await writeFile(join(dir, 'f'), 'main');
    await git('commit', '-qam', 'main');
    await git('checkout', '-q', 'topic');
    const r = await execa('git', ['rebase', 'main'], { cwd: dir, reject: false, env: { GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    expect(r.exitCode).not.toBe(0); // a conflict stops it half-way
    expect((await execa('git', ['symbolic-ref', '-q', 'HEAD'], { cwd: dir, reject: false })).exitCode).not.toBe(0);
    expect(readHead(findGit(dir)!)).toEqual({ branch: 'topic' });
  });

  it('the reflog says which branch each one was first checked out from', async () => {
    const { git, dir } = await repo();
    await git('checkout', '-q', '-b', 'one');
    await git('checkout', '-q', '-b', 'two');
    await git('switch', '-q', 'main');
    await git('switch', '-q', 'two');
    await git('switch', '-q', '-c', 'three', 'main');
    const g = findGit(dir)!;
    expect(checkedOutFrom(g, 'two')).toEqual(['one', 'main']);
    // main itself was first checked out from two (after it was made): the chain stops at the default branch.
    expect(checkedOutFrom(g, 'main')).toEqual(['two', 'one']);
    expect(checkedOutFrom(g, 'main', 'main')).toEqual(['two', 'one']);
    // Made from main while two was checked out: its own reflog says main.
    expect(checkedOutFrom(g, 'three', 'main')).toEqual(['main']);
    await git('branch', 'four', 'three');
    await git('switch', '-q', 'four');
    expect(checkedOutFrom(g, 'four', 'main')).toEqual(['three', 'main']);
    expect(findGit('/')).toBeUndefined();
  });
});
