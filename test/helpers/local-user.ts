import { execa } from 'execa';

// "Another local user" is a real account: the tests run as root, and the attacker's steps run
// as `nobody` through runuser, so the kernel's permission checks are the ones that decide.
export const OTHER_USER = 'nobody';

/** Runs a command as the other local user; never throws (the exit code is the result). */
export async function asOtherUser(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const r = await execa('runuser', ['-u', OTHER_USER, '--', file, ...args], { reject: false, env: opts.env, timeout: opts.timeout ?? 20_000, cwd: '/' });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Whether this machine can run the local-user tests: root, with runuser and the account. */
export async function canSwitchUser(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the tests must run as root to act as another local user';
  const r = await execa('runuser', ['-u', OTHER_USER, '--', 'true'], { reject: false });
  return r.exitCode === 0 ? undefined : `runuser -u ${OTHER_USER} does not work here: ${String(r.stderr).trim()}`;
}

/** A long-running process of the other local user (its own process group when `detached`); kill() ends it. */
export async function otherUsersProcess(opts: { detached?: boolean } = {}) {
  const { spawn } = await import('node:child_process');
  const uid = Number((await execa('id', ['-u', OTHER_USER])).stdout);
  const gid = Number((await execa('id', ['-g', OTHER_USER])).stdout);
  const child = spawn('sleep', ['300'], { uid, gid, cwd: '/', stdio: 'ignore', detached: opts.detached });
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
