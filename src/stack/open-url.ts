import { spawn } from 'node:child_process';
import { which } from '../runtime/native/binaries.js';

/** Why a URL was or was not opened, for the result. */
export type Opened = { opened: true; with: string } | { opened: false; why: string };

/**
 * Opens `url` in the desktop's browser when there is a desktop: macOS `open`, elsewhere
 * `xdg-open` under an X or Wayland display. Never fails: on a server, over SSH or in CI there
 * is nothing to open, and the printed URL is the answer.
 */
export async function openUrl(url: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<Opened> {
  if (platform !== 'darwin' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { opened: false, why: 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  const opener = platform === 'darwin' ? 'open' : 'xdg-open';
  const file = await which(opener, env.PATH);
  if (!file) return { opened: false, why: `${opener} is not installed` };
  return new Promise((resolve) => {
    // Detached: the browser outlives tm, and its output is not tm's.
    const child = spawn(file, [url], { env, detached: true, stdio: 'ignore' });
    child.once('error', (err) => resolve({ opened: false, why: `${opener}: ${err.message}` }));
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: true, with: opener });
    });
  });
}
