import type { Endpoint } from './conversation.js';
import { httpProbe } from './probes.js';
import type { Probe } from './wait-for.js';

// Services whose own readiness endpoint answers 200 only once they serve (503 before).

/** MinIO: `/minio/health/ready` (the node can serve reads and writes). */
export function minioProbe(name: string, t: Endpoint): Probe {
  return httpProbe(name, `http://${t.host}:${t.port}/minio/health/ready`);
}

/** Prometheus: `/-/ready` (its storage is open and it scrapes). */
export function prometheusProbe(name: string, t: Endpoint): Probe {
  return httpProbe(name, `http://${t.host}:${t.port}/-/ready`);
}
