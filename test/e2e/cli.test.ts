import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, processesMentioning, TM } from '../helpers/project.js';

// The built CLI as a user runs it: exit codes, JSON, and the text a person reads.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape that starts an ANSI colour sequence
const ESC = /\u001b\[/;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tm-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tm(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; config?: string } = {}) {
  const cwd = opts.cwd ?? dir;
  if (opts.config !== undefined) await writeFile(join(cwd, 'taskmaster.yml'), opts.config);
  const r = await execa(process.execPath, [TM, ...args], { cwd, reject: false, env: opts.env ?? {}, extendEnv: opts.env === undefined });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('version and help', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(resolve(import.meta.dirname, '../../package.json'), 'utf8'));
    const r = await tm(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lists the commands and explains one with tm help COMMAND', async () => {
    const help = await tm(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['up', 'down', 'status', 'logs', 'restart', 'health', 'db', 'env']) expect(help.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    const health = await tm(['help', 'health']);
    expect(health.code).toBe(0);
    expect(health.stdout).toContain('--wait');
    expect(health.stdout).toContain('--timeout <duration>');
  });
});

describe('help', () => {
  it('tm help names a subcommand of a group', async () => {
    const r = await tm(['help', 'db', 'migrate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tm db migrate /);
    expect(r.stdout).toContain('--dry-run');
  });

  it("a command's help lists the global flags too", async () => {
    const r = await tm(['status', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Global Options:$/m);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('-C, --cwd <dir>');
  });
});

describe('usage errors exit 2 with a suggestion', () => {
  it('with --json, as one JSON document on stdout', async () => {
    for (const args of [
      ['--json', 'stauts'],
      ['health', '--json', '--wiat'],
    ]) {
      const r = await tm(args);
      expect(r.code, args.join(' ')).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc.error).toMatchObject({ code: 'TM_USAGE', exit: 2, hint: expect.stringMatching(/^did you mean /) });
    }
  });

  it('unknown command, also as tm help COMMAND', async () => {
    for (const args of [['helth'], ['help', 'helth']]) {
      const r = await tm(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain("error TM_USAGE unknown command 'helth'");
      expect(r.stderr).toContain('did you mean health?');
    }
    expect((await tm(['help', 'db', 'nope'])).code).toBe(2);
  });

  it('unknown flag', async () => {
    const r = await tm(['health', '--wiat']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--wiat'");
    expect(r.stderr).toContain('did you mean --wait?');
  });

  it('a bad duration', async () => {
    const r = await tm(['health', '--wait', '--timeout', 'soon'], { config: 'name: x\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout: "soon" is not a duration');
  });
});

describe('invalid config exits 3 with file:line:column and no stack', () => {
  const cases: [string, string, RegExp][] = [
    ['broken YAML', 'name: x\nservices:\n  postgres: { port: 1\n', /taskmaster\.yml:4:1 /],
    [
      'an unknown key',
      'name: x\nservices:\n  redis:\n    persistance: aof\n',
      /taskmaster\.yml:4:5 services\.redis\.persistance: unknown key \(did you mean "persistence"\?\)/,
    ],
    [
      'a misspelt service name',
      'name: x\nservices:\n  postgress:\n    user: app\n',
      new RegExp(
        String.raw`taskmaster\.yml:4:5 services\.postgress\.user: unknown key ` +
          String.raw`\(a service named "postgress" is an app: did you mean "postgres"\? \(or add kind: postgres\)\)`,
      ),
    ],
    [
      'a wrong type',
      'name: x\nservices:\n  postgres:\n    port: abc\n',
      /taskmaster\.yml:4:11 services\.postgres\.port: expected a port number \(1-65535\), got "abc"/,
    ],
    ['a wrong enum value', 'runtime: podman\n', /taskmaster\.yml:1:10 runtime: expected auto, docker or native, got "podman"/],
    ['an unknown top-level key', 'name: x\nservises: {}\n', /taskmaster\.yml:2:1 servises: unknown key \(did you mean "services"\?\)/],
  ];
  for (const [what, config, line] of cases) {
    it(what, async () => {
      const r = await tm(['health'], { config });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^error TM_CONFIG_INVALID taskmaster\.yml has \d+ problems?$/m);
      expect(r.stderr).toMatch(line);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
  }

  it('--json prints one parseable document with the problems, and no escape codes', async () => {
    const r = await tm(['health', '--json'], { config: 'name: x\nservices:\n  postgres:\n    port: abc\n', env: { FORCE_COLOR: '1', PATH: process.env.PATH } });
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(ESC);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('TM_CONFIG_INVALID');
    expect(doc.error.problems[0]).toMatchObject({ file: 'taskmaster.yml', line: 4, column: 11, path: 'services.postgres.port' });
  });

  it('a missing config says how to create one', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'tm-cli-empty-'));
    try {
      const r = await tm(['health'], { cwd: empty });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('TM_CONFIG_NOT_FOUND');
      expect(r.stderr).toContain('hint:');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('health against closed ports', () => {
  let config: string;
  beforeAll(async () => {
    config = `name: closed\nservices:\n  postgres: { port: ${await freePort()} }\n  redis: { port: ${await freePort()} }\n`;
  });

  it('--json reports every service as error and exits 1', async () => {
    const r = await tm(['health', '--json'], { config });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe('error');
    expect(doc.checks.postgres).toMatchObject({ status: 'error' });
    expect(doc.checks.postgres.error).toMatch(/ECONNREFUSED/);
    expect(typeof doc.checks.redis.latency_ms).toBe('number');
  });

  it('--wait --timeout 1s exits 5 within about a second, naming the probe and its last error', async () => {
    const t0 = performance.now();
    const r = await tm(['health', '--wait', '--timeout', '1s', 'postgres'], { config });
    const elapsed = performance.now() - t0;
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/error TM_HEALTH_TIMEOUT postgres not ready after 1s: .*ECONNREFUSED/);
    expect(elapsed).toBeLessThan(2500);
  });

  it('NO_COLOR output has no escape codes and no spinner frames when stderr is not a TTY', async () => {
    const r = await tm(['health', '--wait', '--timeout', '300ms'], { config, env: { NO_COLOR: '1', FORCE_COLOR: '1', PATH: process.env.PATH } });
    expect(r.stdout + r.stderr).not.toMatch(ESC);
    expect(r.stderr).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(r.stderr).toContain('… waiting for all services');
  });

  it('a failing --wait is not marked as a success', async () => {
    const r = await tm(['health', '--wait', '--timeout', '300ms'], { config });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^✗ health: error/m);
    expect(r.stderr).not.toContain('✓ health');
  });

  it('a terminal that reports zero columns gets plain lines, not an endless spinner', async (t) => {
    const script = await execa('script', ['--version'], { reject: false });
    if (script.exitCode !== 0) t.skip('script (util-linux) is not installed: no pseudo-terminal to test with');
    await writeFile(join(dir, 'taskmaster.yml'), config);
    // script runs its command through a shell; the only word in it is this test's own path.
    const command = `stty cols 0 rows 0; exec '${process.execPath}' '${TM}' health --wait --timeout 1s`;
    const r = await execa('script', ['-qec', command, '/dev/null'], { cwd: dir, reject: false, timeout: 30_000, env: { TERM: 'xterm' } });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(5);
    expect(String(r.stdout).length).toBeLessThan(20_000);
    expect(String(r.stdout)).toContain('TM_HEALTH_TIMEOUT');
  });

  it('without --wait, --timeout bounds the one probe', async () => {
    // Accepts connections and never answers, like a stalled proxy.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as { port: number };
      const r = await tm(['health', '--json', '--timeout', '100ms'], { config: `name: silent\nservices:\n  postgres: { port: ${port} }\n` });
      expect(r.code).toBe(1);
      const check = JSON.parse(r.stdout).checks.postgres;
      expect(check.error).toMatch(/timed out|timeout/);
      expect(check.latency_ms).toBeLessThan(1000); // not the 2 s default
    } finally {
      silent.close();
    }
  });

  it('FORCE_COLOR without NO_COLOR does colour the error', async () => {
    const r = await tm(['health'], { config, env: { FORCE_COLOR: '1', PATH: process.env.PATH } });
    expect(r.stderr).toMatch(ESC);
  });
});

describe('errors', () => {
  const STACK = /^\s+at /m;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ PATH: process.env.PATH, NO_COLOR: '1', XDG_STATE_HOME: process.env.XDG_STATE_HOME, ...extra });
  /** A project whose only service is a Redis on a free port, in a directory of its own. */
  async function project(): Promise<{ dir: string; port: number }> {
    const d = await mkdtemp(join(tmpdir(), 'tm-cli-err-'));
    const port = await freePort();
    await writeFile(join(d, 'taskmaster.yml'), `name: err\nruntime: native\nservices:\n  redis: { port: ${port} }\n`);
    return { dir: d, port };
  }

  it('TM_DEBUG=1 adds the stack to a user error', async () => {
    const config = 'name: x\nservices:\n  postgres:\n    port: abc\n';
    const plain = await tm(['health'], { config, env: env() });
    expect(plain.stderr).not.toMatch(STACK);
    const debug = await tm(['health'], { config, env: env({ TM_DEBUG: '1' }) });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/^error TM_CONFIG_INVALID /m);
    expect(debug.stderr).toMatch(STACK);
  });

  it('an unexpected error exits 70 and asks for a bug report, with the stack', async () => {
    const p = await project();
    try {
      await symlink('.taskmaster', join(p.dir, '.taskmaster')); // a loop: ELOOP is nobody's usual mistake
      const r = await tm(['up'], { cwd: p.dir, env: env() });
      expect(r.code).toBe(70);
      expect(r.stderr).toMatch(/^error TM_INTERNAL .*ELOOP/m);
      expect(r.stderr).toContain('this is a bug in tm; please report it');
      expect(r.stderr).toMatch(STACK);
    } finally {
      await rm(p.dir, { recursive: true, force: true });
    }
  });

  it('a file where tm keeps its state is a user error with a hint, and leaves no server behind', async () => {
    const p = await project();
    try {
      await writeFile(join(p.dir, '.taskmaster'), '');
      const early = await tm(['up'], { cwd: p.dir, env: env() });
      expect(early.code).toBe(1);
      expect(early.stderr).toMatch(/^error TM_FILESYSTEM cannot mkdir .*\.taskmaster: a file is in the way \(EEXIST\)$/m);
      expect(early.stderr).toMatch(/^hint: move or remove /m);
      expect(early.stderr).not.toMatch(STACK);

      // Found only once Redis runs: it must be stopped again, as its PID file cannot be written.
      await rm(join(p.dir, '.taskmaster'));
      await mkdir(join(p.dir, '.taskmaster'));
      await writeFile(join(p.dir, '.taskmaster', 'run'), '');
      const late = await tm(['up'], { cwd: p.dir, env: env() });
      expect(late.code).toBe(1);
      expect(late.stderr).toMatch(/^error TM_FILESYSTEM cannot mkdir .*run: a file is in the way/m);
      expect(await processesMentioning(`:${p.port}`)).toEqual([]);
    } finally {
      await rm(p.dir, { recursive: true, force: true });
    }
  });

  it('--no-color turns colour off, even with FORCE_COLOR', async () => {
    const config = `name: x\nservices:\n  redis: { port: ${await freePort()} }\n`;
    const coloured = await tm(['health'], { config, env: { PATH: process.env.PATH, FORCE_COLOR: '1' } });
    expect(coloured.stderr).toMatch(ESC);
    const r = await tm(['health', '--no-color'], { config, env: { PATH: process.env.PATH, FORCE_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(ESC);
    expect(r.stderr).toContain('error TM_HEALTH_FAILED redis not healthy');
  });

  it('-C runs as if started in another directory, before or after the command', async () => {
    const p = await project();
    try {
      for (const args of [
        ['-C', p.dir, 'health', '--json'],
        ['health', '--json', '-C', p.dir],
        ['--cwd', p.dir, 'health', '--json'],
      ]) {
        const r = await tm(args, { env: env() }); // started in the shared test folder
        expect(r.code, args.join(' ')).toBe(1);
        expect(JSON.parse(r.stdout).checks.redis.target).toBe(`redis://127.0.0.1:${p.port}`);
      }
    } finally {
      await rm(p.dir, { recursive: true, force: true });
    }
  });
});
