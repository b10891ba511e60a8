import type Dockerode from 'dockerode';
import type { Engine } from './detect.js';

// What the Docker runtime leaves of a stack whose folder was deleted: its compose project's
// containers, named volumes and network, found by the label compose puts on each (the compose
// file, in the folder, went with it).

export interface DockerLeftovers {
  containers: { id: string; name: string; state: string }[];
  volumes: string[];
  networks: string[];
}

const LABEL = 'com.docker.compose.project';

function client(engine: Engine): Promise<Dockerode> {
  return import('dockerode').then(({ default: Docker }) =>
    engine.socketPath ? new Docker({ socketPath: engine.socketPath }) : new Docker({ host: engine.hostname, port: engine.port }),
  );
}

/** The compose project's containers, volumes and networks. */
export async function dockerLeftovers(engine: Engine, project: string): Promise<DockerLeftovers> {
  const docker = await client(engine);
  const filters = { label: [`${LABEL}=${project}`] };
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
    docker.listNetworks({ filters }),
  ]);
  return {
    containers: containers.map((c) => ({ id: c.Id, name: c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12), state: c.State })),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
    networks: networks.map((n) => n.Name),
  };
}

/** Removes them: containers first (stopped, with their anonymous volumes), then what they used. */
export async function removeDockerLeftovers(engine: Engine, found: DockerLeftovers): Promise<void> {
  const docker = await client(engine);
  const gone = (err: { statusCode?: number }) => {
    if (err.statusCode !== 404) throw err;
  };
  for (const c of found.containers) await docker.getContainer(c.id).remove({ force: true, v: true }).catch(gone);
  for (const v of found.volumes) await docker.getVolume(v).remove().catch(gone);
  for (const n of found.networks) await docker.getNetwork(n).remove().catch(gone);
}
