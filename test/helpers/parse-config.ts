import { type Config, parseConfig } from '../../src/config/load.js';
import type { TmError } from '../../src/errors.js';

// taskmaster.yml text parsed as if it were /p/<folder>/taskmaster.yml (no file is read), for
// tests of what the config makes of it.

/** The config of `source`, in a project folder named `folder`. */
export function parseIn(folder: string) {
  return (source: string, vars: Record<string, string> = {}): Config =>
    parseConfig(source, { file: '/p/taskmaster.yml', root: `/p/${folder}`, vars, displayFile: 'taskmaster.yml' });
}

/** The error that refuses `source` (the test fails when it is accepted). */
export function refusalOf(parse: (source: string) => Config, source: string): TmError {
  try {
    parse(source);
  } catch (err) {
    return err as TmError;
  }
  throw new Error('expected the config to be refused');
}
