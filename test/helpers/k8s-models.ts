import { createRequire } from 'node:module';
import { expect } from 'vitest';

// Rendered Kubernetes manifests checked offline against the Kubernetes schemas
// (kubernetes-models), kind by kind.

const require = createRequire(import.meta.url);
const MODELS: Record<string, string> = {
  Service: 'kubernetes-models/v1/Service',
  ConfigMap: 'kubernetes-models/v1/ConfigMap',
  Secret: 'kubernetes-models/v1/Secret',
  StatefulSet: 'kubernetes-models/apps/v1/StatefulSet',
  Deployment: 'kubernetes-models/apps/v1/Deployment',
  Job: 'kubernetes-models/batch/v1/Job',
};

/** Each manifest validates against its kind's schema. */
export function validateManifests(manifests: { kind: string; metadata: { name: string } }[]): void {
  for (const m of manifests) {
    const Model = require(MODELS[m.kind]!)[m.kind];
    expect(() => new Model(m).validate(), `${m.kind} ${m.metadata.name}`).not.toThrow();
  }
}
