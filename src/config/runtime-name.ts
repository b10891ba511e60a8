import { EXIT, TmError } from '../errors.js';

/** The runtimes a project can ask for (`--runtime`, TM_RUNTIME, `runtime:`): auto picks docker when an engine answers. */
export const RUNTIME_NAMES = ['auto', 'docker', 'native'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

export function isRuntimeName(value: string): value is RuntimeName {
  return (RUNTIME_NAMES as readonly string[]).includes(value);
}

/** `value` as a runtime name, or a usage error naming where it came from (`source`: "--runtime flag", "TM_RUNTIME"). */
export function runtimeName(value: string, source: string): RuntimeName {
  if (isRuntimeName(value)) return value;
  throw new TmError('TM_USAGE', `unknown runtime "${value}" (from ${source})`, { exit: EXIT.usage, hint: 'use auto, docker or native' });
}
