import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { EXIT, TmError } from '../errors.js';
import type { Runtime } from '../runtime/types.js';

export type RuntimeName = 'auto' | 'docker' | 'native';

export interface Selection {
  runtime: Runtime;
  /** Why this runtime: "--runtime flag", "config", "auto: ...". */
  reason: string;
}

/** `--runtime`, then TM_RUNTIME, then config, then auto-detection. */
export async function selectRuntime(config: Config, flag?: string, env: NodeJS.ProcessEnv = process.env): Promise<Selection> {
  const [choice, source] = flag
    ? [flag, '--runtime flag']
    : env.TM_RUNTIME
      ? [env.TM_RUNTIME, 'TM_RUNTIME']
      : [config.runtime, config.runtime === 'auto' ? 'auto' : 'taskmaster.yml'];
  if (choice !== 'auto' && choice !== 'native' && choice !== 'docker') {
    throw new TmError('TM_USAGE', `unknown runtime "${choice}" (from ${source})`, { exit: EXIT.usage, hint: 'use auto, docker or native' });
  }
  if (choice === 'docker') {
    throw new TmError('TM_RUNTIME_UNAVAILABLE', `the docker runtime was requested (${source}) but this version of tm runs services natively only`, {
      exit: EXIT.runtime,
      hint: 'set runtime: native (or auto) in taskmaster.yml, or pass --runtime native',
    });
  }
  const { NativeRuntime } = await import('../runtime/native/runtime.js');
  const reason = choice === 'auto' ? 'auto: local binaries (the docker runtime is not available in this version)' : source;
  return { runtime: new NativeRuntime(config), reason };
}

/** Remembers which runtime a project last used (`.taskmaster/runtime.json`). */
export async function recordRuntime(config: Config, name: string): Promise<void> {
  const dir = join(config.root, '.taskmaster');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'runtime.json'), JSON.stringify({ runtime: name, projectId: config.projectId }, null, 2) + '\n');
}

export async function lastRuntime(config: Config): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(config.root, '.taskmaster', 'runtime.json'), 'utf8')) as { runtime?: string }).runtime;
  } catch {
    return undefined;
  }
}
