import type { PortBinding, Reach, ServiceBase } from './types.js';

// Where a service's URLs point: this machine, or the compose network and the cluster.

/** What a hidden value looks like in every output (as env/mask.ts's MASK). */
const HIDDEN = '****';

/** A host as it stands in a URL (an IPv6 address in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function portOf(bindings: PortBinding[], name: string, which: 'port' | 'container'): number {
  const b = bindings.find((x) => x.name === name);
  if (!b) throw new Error(`no port named ${name}`);
  return b[which];
}

/** This machine: the service's host (`0.0.0.0` reached as 127.0.0.1) and its published ports; secrets masked unless `reveal`. */
export function hostReach(svc: ServiceBase, bindings: PortBinding[], reveal: boolean): Reach {
  const value = (field: string) => String((svc as unknown as Record<string, unknown>)[field] ?? '');
  return {
    host: urlHost(svc.host === '0.0.0.0' ? '127.0.0.1' : svc.host),
    port: (name) => portOf(bindings, name, 'port'),
    secret: (field) => (reveal ? value(field) : HIDDEN),
    urlSecret: (field) => (reveal ? encodeURIComponent(value(field)) : HIDDEN),
  };
}

/**
 * Inside the compose network or the cluster: the service's name and its container's ports;
 * secrets as `ref` gives them (`inUrl`: the value goes into a URL, so a real one is encoded).
 */
export function networkReach(svc: ServiceBase, bindings: PortBinding[], ref: (field: string, inUrl: boolean) => string): Reach {
  return { host: svc.name, port: (name) => portOf(bindings, name, 'container'), secret: (f) => ref(f, false), urlSecret: (f) => ref(f, true), project: true };
}
