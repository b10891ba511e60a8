import { KINDS, type ServiceKind } from '../../src/catalog/index.js';
import type { ServiceBase } from '../../src/catalog/types.js';
import { protocolProbe } from '../../src/health/probe-for.js';
import type { Probe } from '../../src/health/wait-for.js';

/**
 * The probe tm uses for a service of `kind` with these taskmaster.yml keys (the rest default
 * as in a project), so a test checks the catalog's endpoint and protocol, not a copy of them.
 */
export function kindProbe(kind: ServiceKind, keys: Record<string, unknown>, name: string = kind): Probe {
  const k = KINDS[kind];
  const svc = { ...k.schema.parse({ kind, ...keys }), kind, name } as ServiceBase;
  // biome-ignore lint/suspicious/noExplicitAny: each kind's own service type, built from its own schema
  (k as any).complete?.(svc, 'test');
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const spec = (k as any).probe(svc);
  if (!spec) throw new Error(`a ${kind} with these keys has no probe`);
  return protocolProbe(name, spec);
}
