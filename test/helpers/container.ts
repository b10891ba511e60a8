import { execa } from 'execa';
import { detectEngine } from '../../src/runtime/docker/detect.js';

// Stand-in images on the Docker engine of ../shared/tools/docker-engine.sh, run with
// `docker run` by the test that needs them and removed by it.

/** Why these images cannot run here (no engine, image not built), or undefined when they can. Throws under TM_REQUIRE_DOCKER. */
export async function dockerUnavailable(images: string[]): Promise<string | undefined> {
  const { engine, rejected } = await detectEngine();
  let why: string | undefined = engine ? undefined : `no Docker engine answers (${rejected.map((r) => `${r.source}: ${r.reason}`).join('; ')})`;
  if (!why) {
    const missing: string[] = [];
    for (const image of images) if ((await execa('docker', ['image', 'inspect', image], { reject: false })).exitCode !== 0) missing.push(image);
    if (missing.length > 0) why = `stand-in images not built: ${missing.join(', ')} (bash ../shared/tools/docker-engine.sh image ...)`;
  }
  if (why && process.env.TM_REQUIRE_DOCKER) throw new Error(`TM_REQUIRE_DOCKER is set but ${why}`);
  if (why) console.warn(`skipping stand-in image tests: ${why}`);
  return why;
}

export interface Container {
  id: string;
  /** The loopback port the engine published for `containerPort`. */
  port(containerPort: number): number;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

/**
 * `docker run -d` of `image` with each of `ports` published on a free loopback port. The
 * variables' values reach docker through its environment (`-e NAME`), not its arguments.
 */
export async function runContainer(image: string, opts: { env?: Record<string, string>; ports: number[] }): Promise<Container> {
  // No HEALTHCHECK: the probes under test decide readiness, and rabbitmq's check boots an
  // Erlang VM every 2 s, which slows everything else on the machine.
  const args = ['run', '-d', '--no-healthcheck', '--label', 'tm-test=probes'];
  for (const name of Object.keys(opts.env ?? {})) args.push('-e', name);
  for (const p of opts.ports) args.push('-p', `127.0.0.1::${p}`);
  const { stdout } = await execa('docker', [...args, image], { env: opts.env });
  const id = stdout.trim();
  const published = new Map<number, number>();
  try {
    for (const p of opts.ports) {
      const { stdout: out } = await execa('docker', ['port', id, `${p}/tcp`]);
      published.set(p, Number(/:(\d+)\s*$/m.exec(out)?.[1]));
    }
  } catch (err) {
    await execa('docker', ['rm', '-f', '-v', id], { reject: false });
    throw err;
  }
  return {
    id,
    port: (p) => published.get(p)!,
    logs: async () => {
      const r = await execa('docker', ['logs', id], { reject: false, all: true });
      return String(r.all);
    },
    remove: async () => void (await execa('docker', ['rm', '-f', '-v', id], { reject: false })),
  };
}
