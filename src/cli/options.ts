import { Option } from '@commander-js/extra-typings';
import { runtimeName } from '../config/runtime-name.js';
import { EXIT, TmError } from '../errors.js';
import { parseDuration } from '../util/duration.js';

// Options several commands take, each defined once. Values are parsed here, while commander
// reads the command line: a bad one is a usage error (exit 2) before the command starts, and
// the command receives numbers, not text. Loaded by `tm --help`: nothing heavy is imported.

/** A parsed duration, with the words the user wrote for messages ("not ready after 1s"). */
export interface Duration {
  ms: number;
  text: string;
}

/** A `--name <duration>` option, without a default. */
export function durationOption<F extends string>(flags: F, description: string) {
  const flag = longFlag(flags);
  return new Option(flags, description).argParser((text): Duration => ({ ms: parseDuration(text, flag), text }));
}

/** A `--name <duration>` option; `fallback` when it is absent (shown in the help as written). */
export function durationDefault<F extends string>(flags: F, description: string, fallback: string) {
  const value: Duration = { ms: parseDuration(fallback, longFlag(flags)), text: fallback };
  return durationOption(flags, description).default(value, JSON.stringify(fallback));
}

/** `--timeout <duration>`: how long a command waits for services to be ready. */
export const timeoutOption = (description: string, fallback: string) => durationDefault('--timeout <duration>', description, fallback);

/** `--lock-timeout <duration>`: how long a migration command waits for another runner's lock. */
export const lockTimeoutOption = (description = 'how long to wait for another runner') => durationDefault('--lock-timeout <duration>', description, '10s');

/** `--runtime <name>`: auto, native or docker, checked here. */
export const runtimeOption = () =>
  new Option('--runtime <name>', 'auto, native or docker (default: TM_RUNTIME, then taskmaster.yml)').argParser((name) => runtimeName(name, '--runtime flag'));

/** `--ports <mode>`: auto (a second stack of the project gets ports of its own) or fixed. */
export const portsOption = () =>
  new Option('--ports <mode>', "auto: a second stack of the project (worktree, clone) gets ports of its own; fixed: taskmaster.yml's").choices([
    'auto',
    'fixed',
  ] as const);

/** `--database-url <url>`: the database a `tm db` command talks to. */
export const databaseUrlOption = () => new Option('--database-url <url>', 'talk to this database (default: DIRECT_URL, DATABASE_URL, then services.postgres)');

/** `--env <name>`: which seeds run (`db/seeds/<env>/`); the name is checked where seeds are read, with TM_ENV's. */
export const seedEnvOption = (description: string) => new Option('--env <name>', description);

/** What a whole number given to an option must be. */
interface Whole {
  min: number;
  max?: number;
  /** Completes "--tail: "x" is not ...". */
  is: string;
  hint: string;
}

/** A `--name <n>` option holding a whole number. */
export function integerOption<F extends string>(flags: F, description: string, rule: Whole) {
  const flag = longFlag(flags);
  return new Option(flags, description).argParser((text) => wholeNumber(text, flag, rule));
}

/** A `--name-port <port>` option, `fallback` when absent. */
export const portOption = <F extends string>(flags: F, description: string, fallback: number) =>
  integerOption(flags, description, { min: 1, max: 65535, is: 'a port', hint: 'a number 1-65535' }).default(fallback, JSON.stringify(String(fallback)));

function wholeNumber(text: string, flag: string, rule: Whole): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < rule.min || n > (rule.max ?? Number.POSITIVE_INFINITY)) {
    throw new TmError('TM_USAGE', `${flag}: "${text}" is not ${rule.is}`, { exit: EXIT.usage, hint: rule.hint });
  }
  return n;
}

/** `--lock-timeout` of "--lock-timeout <duration>", as messages name the flag. */
function longFlag(flags: string): string {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags;
}
