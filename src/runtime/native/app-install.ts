import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { AppService, Service } from '../../config/schema.js';
import { EXIT, TmError } from '../../errors.js';
import { installCommand, lockfileManager, packageManagerOf } from '../../util/package-manager.js';
import { showCommand } from '../../util/run-command.js';

/** Node finds packages in node_modules of the folder or any folder above it (workspaces hoist them); Yarn PnP in .pnp.cjs. */
function installedFrom(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules')) || existsSync(join(d, '.pnp.cjs'))) return true;
    if (dirname(d) === d) return false;
  }
}

/** The app's folder declares dependencies that were never installed (undefined when fine). */
async function missingInstall(root: string, svc: AppService): Promise<string | undefined> {
  const dir = resolve(root, svc.cwd ?? '.');
  const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let pkg: { dependencies?: object; devDependencies?: object };
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch {
    return undefined; // npm itself will say what is wrong with it
  }
  const declared = Object.keys(pkg.dependencies ?? {}).length + Object.keys(pkg.devDependencies ?? {}).length;
  if (declared === 0 || installedFrom(dir)) return undefined;
  return dir;
}

/**
 * Refuses (exit 4) before anything starts when an app's folder has a package.json with
 * dependencies but no node_modules: the app would die at its first import, and its log
 * would show a stack trace rather than the reason. Paths in the hint are relative to `cwd`.
 */
export async function assertAppsInstalled(root: string, services: Service[], cwd = process.cwd()): Promise<void> {
  for (const svc of services) {
    if (svc.kind !== 'app' || !svc.command) continue;
    const dir = await missingInstall(root, svc);
    if (!dir) continue;
    const rel = relative(cwd, dir) || '.';
    const install = showCommand(installCommand(lockfileManager(dir) ?? packageManagerOf()));
    throw new TmError(
      'TM_APP_NOT_INSTALLED',
      `${svc.name}: ${join(rel, 'package.json')} declares dependencies, but they are not installed (no node_modules); nothing was started`,
      {
        exit: EXIT.runtime,
        hint: rel === '.' ? install : `cd ${rel} && ${install}`,
      },
    );
  }
}
