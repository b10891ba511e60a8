import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type PackageManager = 'npm' | 'pnpm' | 'yarn';

/**
 * The package manager tm was started through: npm, pnpm and yarn put their name first in
 * `npm_config_user_agent` ("pnpm/9.1.0 npm/? node/v20.19.0 linux x64") for what they run
 * (`pnpm dlx`, `yarn dlx`, `npx`, package scripts). npm when it says nothing else.
 */
export function packageManagerOf(env: NodeJS.ProcessEnv = process.env): PackageManager {
  const name = /^(npm|pnpm|yarn)\//.exec(env.npm_config_user_agent ?? '')?.[1];
  return (name as PackageManager | undefined) ?? 'npm';
}

/** The package manager a folder is installed with, by its lockfile (undefined without one). */
export function lockfileManager(dir: string): PackageManager | undefined {
  if (existsSync(join(dir, 'pnpm-lock.yaml'))) return 'pnpm';
  if (existsSync(join(dir, 'yarn.lock'))) return 'yarn';
  if (existsSync(join(dir, 'package-lock.json')) || existsSync(join(dir, 'npm-shrinkwrap.json'))) return 'npm';
  return undefined;
}

/** The command that installs a project's dependencies. */
export function installCommand(pm: PackageManager): [string, ...string[]] {
  return [pm, 'install'];
}
