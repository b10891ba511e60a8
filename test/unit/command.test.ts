import { describe, expect, it } from 'vitest';
import { EXIT, TmError } from '../../src/errors.js';
import { splitCommand } from '../../src/util/command.js';

const split = (command: string | string[]) => splitCommand(command, 'web');

describe('splitCommand', () => {
  it('splits on runs of whitespace', () => {
    expect(split('  node   server.js --port 3000 ')).toEqual(['node', 'server.js', '--port', '3000']);
    expect(split('')).toEqual([]);
  });

  it('keeps quoted text as one argument, empty quotes as an empty one', () => {
    expect(split(`node -e "console.log('hi there')"`)).toEqual(['node', '-e', "console.log('hi there')"]);
    expect(split(`echo 'a "b" c' ""`)).toEqual(['echo', 'a "b" c', '']);
    expect(split('say "x"y')).toEqual(['say', 'xy']);
  });

  it('reads a backslash outside quotes and inside double quotes as escaping the next character; inside single quotes it is literal', () => {
    expect(split('ls my\\ dir')).toEqual(['ls', 'my dir']);
    expect(split('echo "a \\" b"')).toEqual(['echo', 'a " b']);
    expect(split("echo 'a\\b'")).toEqual(['echo', 'a\\b']);
  });

  it('takes a list as it is', () => {
    expect(split(['node', 'a b.js', '$HOME'])).toEqual(['node', 'a b.js', '$HOME']);
  });

  it('refuses shell syntax outside quotes with exit 3 and the fix, and allows it quoted', () => {
    for (const line of ['npm run build && npm start', 'node a.js | tee log', 'node $ENTRY', 'node a.js > out', 'echo `id`', 'a; b']) {
      let error: unknown;
      try {
        split(line);
      } catch (err) {
        error = err;
      }
      expect(error, line).toBeInstanceOf(TmError);
      expect((error as TmError).code).toBe('TM_APP_COMMAND');
      expect((error as TmError).exit).toBe(EXIT.config);
      expect((error as TmError).message).toContain('services.web.command');
    }
    expect(split(`node -e 'process.exit(1 && 0)'`)).toEqual(['node', '-e', 'process.exit(1 && 0)']);
  });
});
