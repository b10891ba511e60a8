import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { freePort, TM } from '../helpers/project.js';

// The README's main job: `tm up` on the example project, with local binaries only.
it('brings up examples/datahub and tears it down again', async () => {
  // Its ports (15432, 16379 by default: below the ephemeral range, where a probe can meet itself) come from the environment, so a test can pick free ones.
  const pgPort = await freePort();
  let redisPort = await freePort();
  while (redisPort === pgPort) redisPort = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tm-example-'));
  await cp(resolve(import.meta.dirname, '../../examples/datahub'), dir, { recursive: true });
  const env = { NO_COLOR: '1', DATAHUB_PG_PORT: String(pgPort), DATAHUB_REDIS_PORT: String(redisPort) };
  const tm = (...args: string[]) => execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, env });
  try {
    const upResult = await tm('up');
    expect(upResult.exitCode, upResult.stderr).toBe(0);
    expect(upResult.stdout).toMatch(new RegExp(`postgres\\s+started\\s+postgres://datahub:\\*{4}@127\\.0\\.0\\.1:${pgPort}/datahub`));
    expect(upResult.stdout).toContain(`redis://127.0.0.1:${redisPort}`);
    expect(upResult.stdout).not.toContain('datahub-dev-password');
    const health = await tm('health', '--json');
    expect(JSON.parse(health.stdout).status).toBe('ok');
  } finally {
    await tm('down', '--volumes');
    await rm(dir, { recursive: true, force: true });
  }
});
