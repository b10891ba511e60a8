import { describe, expect, it } from 'vitest';
import { firstErrorLine } from '../../src/runtime/native/start-output.js';
import { installCommand, packageManagerOf } from '../../src/util/package-manager.js';

describe('firstErrorLine', () => {
  it("finds Node's explanation above the stack trace, not the quoted source or the frames", () => {
    const lines = [
      'node:internal/modules/esm/resolve:873',
      '  throw new ERR_MODULE_NOT_FOUND(packageName, fileURLToPath(base), null);',
      '        ^',
      '',
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'express' imported from /app/src/server.js",
      '    at packageResolve (node:internal/modules/esm/resolve:873:9)',
      '    at Error (x.js:1:1)',
      'Node.js v20.20.2',
    ];
    expect(firstErrorLine(lines)).toBe("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'express' imported from /app/src/server.js");
  });

  it('takes the first of several, and the usual shapes of an error line', () => {
    expect(firstErrorLine(['starting', 'TypeError: x is not a function', 'Error: later'])).toBe('TypeError: x is not a function');
    expect(firstErrorLine(['[error] listen EADDRINUSE: address already in use :::3000'])).toBe('[error] listen EADDRINUSE: address already in use :::3000');
    expect(firstErrorLine(['FATAL: database "x" does not exist'])).toBe('FATAL: database "x" does not exist');
    expect(firstErrorLine(['npm error Missing script: "dev"'])).toBe('npm error Missing script: "dev"');
    expect(firstErrorLine(['panic: runtime error: index out of range'])).toBe('panic: runtime error: index out of range');
  });

  it('finds nothing in output that reports no error', () => {
    expect(firstErrorLine(['listening on 3000', 'errors: 0 so far', 'ErrorBoundary mounted'])).toBeUndefined();
  });
});

describe('packageManagerOf', () => {
  it('is the one tm runs through, npm otherwise', () => {
    expect(packageManagerOf({ npm_config_user_agent: 'pnpm/9.12.0 npm/? node/v20.19.0 linux x64' })).toBe('pnpm');
    expect(packageManagerOf({ npm_config_user_agent: 'yarn/4.5.0 npm/? node/v20.19.0 linux x64' })).toBe('yarn');
    expect(packageManagerOf({ npm_config_user_agent: 'npm/11.0.0 node/v20.19.0 linux x64 workspaces/false' })).toBe('npm');
    expect(packageManagerOf({ npm_config_user_agent: 'bun/1.1.0 npm/? node/v20' })).toBe('npm');
    expect(packageManagerOf({})).toBe('npm');
    expect(installCommand('pnpm')).toEqual(['pnpm', 'install']);
  });
});
