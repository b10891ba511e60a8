import { detectEngine } from './detect.js';

/** The container publishing a host port, named with its compose project, if an engine knows one. */
export async function containerPublishing(port: number): Promise<string | undefined> {
  const { engine } = await detectEngine(process.env, 1000);
  if (!engine) return undefined;
  // Lazy: dockerode (and its ssh2 tree) is heavy, and tm up asks only when a port is taken.
  const { default: Docker } = await import('dockerode');
  const docker = new Docker(engine.socketPath ? { socketPath: engine.socketPath } : { host: engine.hostname, port: engine.port });
  const list = await docker.listContainers({ filters: { publish: [String(port)] } }).catch(() => []);
  const c = list[0];
  if (!c) return undefined;
  const project = c.Labels['com.docker.compose.project'];
  return `container ${c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12)}${project ? ` (compose project ${project})` : ''}`;
}
