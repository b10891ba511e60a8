import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled `.js` file of a sibling module that runs as its own process (supervisor,
 * seed runner). Under the built CLI that is next to the caller; when the caller runs from
 * `src/` (tests), it is the same path under `dist/`.
 */
export function builtSibling(callerUrl: string, name: string): string {
  const here = dirname(fileURLToPath(callerUrl));
  const beside = join(here, name);
  if (existsSync(beside)) return beside;
  return beside.replace(/([\\/])src([\\/])(?!.*[\\/]src[\\/])/, '$1dist$2');
}
