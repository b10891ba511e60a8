import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runCommand } from '../../util/run-command.js';
import { userCacheDir } from './cache-dir.js';

// Servers published on the npm registry (MailDev) that a project need not depend on: tm
// installs them into its own cache with npm, as it does PostgreSQL's binaries.

/** Where tm keeps its copy of npm package `pkg`: `<cache>/npm/<pkg>/node_modules/<pkg>`. */
export function npmCacheRoot(pkg: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(userCacheDir(env), 'npm', pkg);
}

/**
 * `npm install pkg@version` into tm's cache (npm's registry, proxy and certificate settings
 * apply, and npm checks each tarball's integrity), with no install scripts, into a new folder
 * renamed into place only once npm has finished: an interrupted install is never taken for one.
 */
export async function installNpmPackage(pkg: string, version: string, root: string, signal?: AbortSignal): Promise<void> {
  if (existsSync(join(root, 'node_modules', pkg, 'package.json'))) return;
  await mkdir(dirname(root), { recursive: true });
  const tmp = await mkdtemp(join(dirname(root), `.${pkg.replace(/\//g, '-')}-`));
  try {
    await runCommand(
      ['npm', 'install', '--prefix', tmp, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=dev', `${pkg}@${version}`],
      {
        signal,
        code: 'TM_INSTALL_FAILED',
        hint: `the download is removed again; check that npm reaches its registry (npm view ${pkg}@${version} version)`,
      },
    );
    // A copy made meanwhile by another tm wins; ours goes away with tmp.
    await rename(tmp, root).catch((err: NodeJS.ErrnoException) => {
      if (!existsSync(join(root, 'node_modules', pkg, 'package.json'))) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
