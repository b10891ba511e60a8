import type { Service } from './schema.js';

const depsOf = (s: Service): string[] => (s.kind === 'app' ? s.depends_on : []);

/** A dependency cycle as a path (`app -> worker -> app`), if there is one. */
export function findCycle(services: Service[]): string[] | undefined {
  const byName = new Map(services.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    const svc = byName.get(name);
    for (const dep of svc ? depsOf(svc) : []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const s of services) {
    const cycle = visit(s.name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The services plus everything they depend on, in config order. */
export function withDependencies(all: Service[], picked: Service[]): Service[] {
  const want = new Set<string>();
  const add = (s: Service) => {
    if (want.has(s.name)) return;
    want.add(s.name);
    for (const d of depsOf(s)) {
      const dep = all.find((x) => x.name === d);
      if (dep) add(dep);
    }
  };
  picked.forEach(add);
  return all.filter((s) => want.has(s.name));
}

/** Start order: each level depends only on earlier levels (the config has no cycles). */
export function startLevels(services: Service[]): Service[][] {
  const levels: Service[][] = [];
  const placed = new Set<string>();
  let rest = [...services];
  while (rest.length > 0) {
    const level = rest.filter((s) => depsOf(s).every((d) => placed.has(d) || !services.some((x) => x.name === d)));
    if (level.length === 0) return [...levels, rest]; // unreachable for a validated config
    levels.push(level);
    for (const s of level) placed.add(s.name);
    rest = rest.filter((s) => !placed.has(s.name));
  }
  return levels;
}

/** A service with neither port nor health URL is a job: it is done when it exits 0. */
export function isOneShot(svc: Service): boolean {
  return svc.kind === 'app' && svc.port === undefined && svc.health === undefined;
}
