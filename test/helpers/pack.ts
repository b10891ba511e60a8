import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CHECKOUT = resolve(import.meta.dirname, '../..');

/**
 * tm packed as `npm publish` would upload it (run `npm run build` first), made once per
 * content: every test that installs tm from a tarball shares it. Kept in the temporary
 * folder under the tarball's checksum, so a changed build is packed anew.
 */
export async function packTm(): Promise<string> {
  const dry = JSON.parse((await execa('npm', ['pack', '--dry-run', '--json'], { cwd: CHECKOUT })).stdout)[0] as { filename: string; shasum: string };
  const dir = join(tmpdir(), `tm-pack-${dry.shasum.slice(0, 12)}`);
  const tarball = join(dir, dry.filename);
  if (existsSync(tarball)) return tarball;
  const tmp = await mkdtemp(join(tmpdir(), 'tm-packing-'));
  await execa('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: CHECKOUT });
  // Another test may have packed the same bytes meanwhile: either copy will do.
  await rename(tmp, dir).catch(() => rm(tmp, { recursive: true, force: true }));
  return tarball;
}

/** PATH without this checkout's node_modules/.bin (npm test puts it first): nothing may come from the checkout. */
export function pathWithoutCheckout(): string {
  return (process.env.PATH ?? '')
    .split(':')
    .filter((p) => !p.startsWith(CHECKOUT))
    .join(':');
}
