import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { isPortFree } from '../../src/runtime/ports.js';
import { TM } from '../helpers/project.js';

// The README's main job: `tm up` on the example project, with local binaries only.
it('brings up examples/datahub and tears it down again', async () => {
  if (!(await isPortFree(55432)) || !(await isPortFree(56379))) {
    throw new Error('ports 55432/56379 are taken on this machine; the example project needs them');
  }
  const dir = await mkdtemp(join(tmpdir(), 'tm-example-'));
  await cp(resolve(import.meta.dirname, '../../examples/datahub'), dir, { recursive: true });
  const tm = (...args: string[]) => execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1' } });
  try {
    const upResult = await tm('up');
    expect(upResult.exitCode, upResult.stderr).toBe(0);
    expect(upResult.stdout).toMatch(/postgres\s+started\s+postgres:\/\/datahub:\*\*\*\*@127\.0\.0\.1:55432\/datahub/);
    expect(upResult.stdout).not.toContain('datahub-dev-password');
    const health = await tm('health', '--json');
    expect(JSON.parse(health.stdout).status).toBe('ok');
  } finally {
    await tm('down', '--volumes');
    await rm(dir, { recursive: true, force: true });
  }
});
