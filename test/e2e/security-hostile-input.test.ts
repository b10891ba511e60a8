import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TM } from '../helpers/project.js';

// Hostile files in a repository, through the built CLI: each a one-line error with its exit
// code (never 70, never a hang). The shapes are fuzzed in test/unit/config.test.ts.
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function repo(config: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-hostile-'));
  dirs.push(dir);
  await writeFile(join(dir, 'taskmaster.yml'), config);
  return dir;
}
const tm = (dir: string, args: string[]) => execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, timeout: 30_000, env: { NO_COLOR: '1' } });

describe('hostile input through the CLI', () => {
  it('an alias bomb: exit 3 with the line of its first alias', async () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const r = await tm(await repo(`${lines.join('\n')}\n`), ['env', 'diff']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^ {2}taskmaster\.yml:2:\d+ aliases expand to too much data/m);
    expect(r.stderr).not.toContain('TM_INTERNAL');
  });

  it('a taskmaster.yml of 20 MB: exit 3 at once, unread', async () => {
    const dir = await repo('');
    const line = '  VAR_X: { type: string, default: "some value of a variable" }\n';
    await writeFile(join(dir, 'taskmaster.yml'), `name: big\nenv:\n${line.repeat(Math.ceil(20e6 / line.length))}`);
    const r = await tm(dir, ['env', 'diff']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^error TM_CONFIG_TOO_LARGE .*taskmaster\.yml is \d+ KiB; tm reads at most 256 KiB of it$/m);
  });

  it('a config cache with a valid key but damaged content is read again, not trusted', async () => {
    const dir = await repo('name: cached\nenv:\n  LOG_LEVEL: { enum: [info, debug], default: info }\n');
    await mkdir(join(dir, '.taskmaster'));
    const first = await tm(dir, ['env', 'show', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const file = join(dir, '.taskmaster', 'cache', 'config.json');
    const entry = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...entry, config: { ...entry.config, services: 'oops', env: null } }));
    const again = await tm(dir, ['env', 'show', '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
  });
});
