import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { TM } from '../helpers/project.js';

// Secrets never reach output, logs or files others can read: checked on the built tm.
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-secrets-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}
const tm = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) => execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1', ...env } });

/** What a GitHub runner shows of a log: `::add-mask::` values (unescaped) hidden in every later line. */
function asGitHubShowsIt(log: string): string[] {
  const masks: string[] = [];
  const shown: string[] = [];
  for (const line of log.split('\n')) {
    if (line.startsWith('::add-mask::')) {
      masks.push(line.slice('::add-mask::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
      continue;
    }
    shown.push(masks.reduce((l, m) => (m && !m.includes('\n') ? l.split(m).join('***') : l), line));
  }
  return shown;
}

describe('tm ci on GitHub Actions', () => {
  it('registers every line of a multi-line secret (a PEM key) with ::add-mask::, so no line of it is shown', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const dir = await folder({
      'taskmaster.yml': 'name: pem\nenv:\n  SIGNING_PRIVATE_KEY: { type: secret, required: true }\n',
      '.env': `SIGNING_PRIVATE_KEY="${privateKey.trim()}"\n`,
    });
    const r = await tm(dir, ['ci', '--external'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' });
    expect(r.exitCode, r.stderr).toBe(0);
    const body = privateKey.trim().split('\n').filter((l) => !l.startsWith('-----'));
    expect(body.length).toBeGreaterThan(1);
    const shown = asGitHubShowsIt(`${r.stderr}\n${r.stdout}`).join('\n');
    for (const line of body) expect(shown).not.toContain(line);
    // Every line is registered before tm prints anything else.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('::add-mask::')).length).toBeGreaterThanOrEqual(body.length);
  });
});
