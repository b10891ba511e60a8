import { OBJECT_KINDS, type ObjectKind, type SchemaObject, type SchemaSnapshot } from './catalog.js';

/** One object that is not the same in the live database and in the schema the migrations produce. */
export interface Difference {
  kind: ObjectKind;
  /** The object as a difference names it: `orders.note`, `orders_pkey on orders`. */
  name: string;
  /** Its definition in the live database; absent when live has no such object. */
  live?: string;
  /** Its definition as the migrations make it; absent when they make no such object. */
  expected?: string;
}

/**
 * Every object that one side has and the other lacks, or that both have with another
 * definition, kind by kind (in OBJECT_KINDS' order) and by key within a kind. A table that only
 * one side has is one difference: its columns, indexes, constraints and triggers are not listed.
 */
export function compareSchemas(live: SchemaSnapshot, expected: SchemaSnapshot): Difference[] {
  const tableOnOneSide = new Set(symmetricDifference(live.table, expected.table));
  const out: Difference[] = [];
  for (const kind of OBJECT_KINDS) {
    const keys = [...new Set([...live[kind].keys(), ...expected[kind].keys()])].sort();
    for (const key of keys) {
      const l = live[kind].get(key);
      const e = expected[kind].get(key);
      const object = (l ?? e)!;
      if (object.table !== undefined && tableOnOneSide.has(object.table)) continue;
      if (l && e && l.definition === e.definition) continue;
      out.push({ kind, name: object.name, ...(l && { live: l && e ? l.definition : whole(l) }), ...(e && { expected: l && e ? e.definition : whole(e) }) });
    }
  }
  return out;
}

/** How many objects of each kind the two sides have between them. */
export function countObjects(live: SchemaSnapshot, expected: SchemaSnapshot): Record<ObjectKind, number> {
  return Object.fromEntries(OBJECT_KINDS.map((k) => [k, new Set([...live[k].keys(), ...expected[k].keys()]).size])) as Record<ObjectKind, number>;
}

/** An object that only one side has: its definition and what else says what it is. */
const whole = (o: SchemaObject) => [o.definition, o.extra].filter(Boolean).join(', ');

function symmetricDifference(a: Map<string, unknown>, b: Map<string, unknown>): string[] {
  return [...[...a.keys()].filter((k) => !b.has(k)), ...[...b.keys()].filter((k) => !a.has(k))];
}
