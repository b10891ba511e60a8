import { EXIT, TmError } from '../../errors.js';
import type { Engine } from './detect.js';

/** Lazy: execa loads when the docker CLI runs; tm status and tm logs on Docker ask the engine's API and never need it. */
const loadExeca = async () => (await import('execa')).execa;

/** What `docker compose version` says: Compose v2's version, or what is missing for it. */
export type ComposeV2 = { version: string } | { missing: 'docker CLI' | 'Compose v2' };

/** Asks the docker CLI for Compose v2 (`tm doctor` reports the answer; `tm up` needs it). */
export async function findComposeV2(env: NodeJS.ProcessEnv): Promise<ComposeV2> {
  const execa = await loadExeca();
  const r = await execa('docker', ['compose', 'version', '--short'], { env, reject: false });
  if (r.exitCode === 0) return { version: String(r.stdout).trim() };
  return { missing: r.code === 'ENOENT' ? 'docker CLI' : 'Compose v2' };
}

/** `docker compose` v2 answers; the standalone v1 `docker-compose` is refused (its `up --wait` does nothing). */
export async function composeVersion(env: NodeJS.ProcessEnv): Promise<string> {
  const v2 = await findComposeV2(env);
  if ('version' in v2) return v2.version;
  const execa = await loadExeca();
  const v1 = await execa('docker-compose', ['version', '--short'], { env, reject: false });
  if (v1.exitCode === 0) {
    throw new TmError('TM_COMPOSE_V1', `only the old standalone docker-compose ${String(v1.stdout).trim()} was found; tm needs Compose v2 (docker compose)`, {
      exit: EXIT.runtime,
      hint: 'install the Compose v2 plugin (apt-get install docker-compose-plugin, or Docker Desktop)',
    });
  }
  throw new TmError('TM_COMPOSE_MISSING', 'docker compose (Compose v2) is not installed', {
    exit: EXIT.runtime,
    hint: 'install the Compose v2 plugin (apt-get install docker-compose-plugin, or Docker Desktop), or use --runtime native',
  });
}

export interface ComposeTarget {
  engine: Engine;
  project: string;
  file: string;
  /** Passwords the compose file refers to by variable. */
  secrets: Record<string, string>;
}

/** Runs `docker compose -p <project> -f <file> ...args` with an argument array. */
export async function compose(target: ComposeTarget, args: string[], signal?: AbortSignal): Promise<string> {
  const execa = await loadExeca();
  const r = await execa('docker', ['compose', '-p', target.project, '-f', target.file, ...args], {
    env: { ...process.env, DOCKER_HOST: target.engine.host, ...target.secrets },
    reject: false,
    cancelSignal: signal,
    // Ctrl-C in the terminal reaches tm alone, which stops compose through `signal`.
    detached: true,
  });
  if (r.exitCode !== 0) {
    const text = `${String(r.stderr)}\n${String(r.stdout)}`.trim();
    throw composeError(args[0] ?? 'compose', text);
  }
  return String(r.stdout);
}

function composeError(verb: string, output: string): TmError {
  const lines = output.split('\n').filter(Boolean);
  const pull = PULL_FAILED.some((re) => re.test(output));
  // A build's FROM image: BuildKit loads its metadata first.
  const base = /load metadata for ([\w./:@-]+)/.exec(output)?.[1]?.replace(/^docker\.io\/(library\/)?/, '');
  const image = base ?? /(?:image|reference) "?([\w./:@-]+)"?/.exec(output)?.[1] ?? /pull access denied for ([\w./-]+)/.exec(output)?.[1];
  if (pull && base) {
    return new TmError('TM_IMAGE_UNAVAILABLE', `the build's base image ${base} is not on this machine and cannot be pulled`, {
      exit: EXIT.runtime,
      details: lines.slice(-5),
      hint:
        `docker pull ${base} where a registry is reachable (or docker load it), or build FROM an image you have ` +
        '(docker images): tm render dockerfile --base-image IMAGE writes the Dockerfile with it',
    });
  }
  if (pull) {
    return new TmError('TM_IMAGE_UNAVAILABLE', `${image ? `image ${image}` : 'an image'} is not on this machine and cannot be pulled`, {
      exit: EXIT.runtime,
      details: lines.slice(-5),
      hint: `${image ? `docker pull ${image}` : 'docker pull it'} where a registry is reachable (or docker load it), or set the service's image: in taskmaster.yml to one you have (docker images)`,
    });
  }
  const bind = /Bind for [\d.]+:(\d+) failed: port is already allocated|address already in use/.exec(output);
  if (bind) {
    return new TmError('TM_PORT_TAKEN', `a port is already in use${bind[1] ? `: ${bind[1]}` : ''}`, {
      exit: EXIT.runtime,
      details: lines.slice(-3),
      hint: 'tm status shows what runs; change the port in taskmaster.yml',
    });
  }
  return new TmError('TM_COMPOSE_FAILED', `docker compose ${verb} failed`, {
    exit: EXIT.runtime,
    details: composeDetails(lines),
    hint: "tm logs shows the containers' output",
  });
}

/** What compose says when an image is not here and cannot be pulled (no registry, no network). */
const PULL_FAILED = [
  /pull access denied|failed to resolve reference|manifest unknown|not found: manifest/i,
  /Error response from daemon: (?:Get|Head) "https?:|no such host|dial tcp|i\/o timeout/i,
];

/** Build steps and container progress: what compose prints on the way, not why it failed. */
const PROGRESS_STATES =
  'Creating|Created|Starting|Started|Stopping|Stopped|Removing|Removed|Waiting|Healthy|Running|Recreate|Recreated|Pulling|Pulled|Building|Built|Exited';
const PROGRESS = new RegExp(String.raw`^#\d+ |^\s*=> |^\s*\[\+\] |^\s*(?:Container|Network|Volume|Image|Service) \S+\s+(?:${PROGRESS_STATES})\s*$`);
const FAILURE = /\berror\b|\bfailed\b/i;
const RULE = /^-{6,}$/;

/**
 * The lines that say why compose failed: error lines, and the output of a failed build step
 * (BuildKit repeats it between "------" rules); else the last lines that are not progress.
 */
export function composeDetails(lines: string[], n = 10): string[] {
  const picked: string[] = [];
  let inRule = false;
  for (const line of lines) {
    if (RULE.test(line.trim())) {
      inRule = !inRule;
      continue;
    }
    if ((inRule || FAILURE.test(line)) && picked.at(-1) !== line) picked.push(line);
  }
  return (picked.length > 0 ? picked : lines.filter((l) => !PROGRESS.test(l))).slice(-n);
}
