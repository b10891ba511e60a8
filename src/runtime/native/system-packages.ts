import type { SystemPackages } from '../../catalog/types.js';
import { which } from './binaries.js';

export type { SystemPackages };

/** Commands that install packages with the system's package manager, as they will run. */
export interface SystemInstall {
  manager: 'apt-get' | 'dnf' | 'brew';
  commands: [string, ...string[]][];
  /** Through sudo: it may ask for a password. */
  sudo: boolean;
  env: Record<string, string>;
}

/**
 * How this machine installs `packages`: apt-get (Debian, Ubuntu), dnf (Fedora, RHEL) or
 * Homebrew, through sudo when tm does not run as root (never for Homebrew, which refuses
 * root). Undefined when there is no known package manager, or no sudo to run it with.
 */
export async function systemInstall(packages: SystemPackages, path = process.env.PATH): Promise<SystemInstall | undefined> {
  const root = process.getuid?.() === 0;
  const sudo = root ? undefined : await which('sudo', path);
  const asRoot = (argv: [string, ...string[]]): [string, ...string[]] => (sudo ? ['sudo', ...argv] : argv);
  if (process.platform === 'darwin' || (!(await which('apt-get', path)) && !(await which('dnf', path)))) {
    return (await which('brew', path)) && !root ? { manager: 'brew', commands: [['brew', 'install', ...packages.brew]], sudo: false, env: {} } : undefined;
  }
  if (!root && !sudo) return undefined;
  if (await which('apt-get', path)) {
    // The package lists may be missing (a fresh container) or stale: update them first.
    return {
      manager: 'apt-get',
      commands: [asRoot(['apt-get', 'update']), asRoot(['apt-get', 'install', '-y', ...packages.apt])],
      sudo: Boolean(sudo),
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    };
  }
  return { manager: 'dnf', commands: [asRoot(['dnf', 'install', '-y', ...packages.dnf])], sudo: Boolean(sudo), env: {} };
}
