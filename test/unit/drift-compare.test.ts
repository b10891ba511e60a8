import { describe, expect, it } from 'vitest';
import { OBJECT_KINDS, type ObjectKind, type SchemaObject, type SchemaSnapshot } from '../../src/db/drift/catalog.js';
import { compareSchemas, countObjects } from '../../src/db/drift/compare.js';
import { aroundFirstDifference, formatDifference } from '../../src/db/drift/format.js';

// The comparison of two catalog snapshots, and the one line each difference prints. The
// snapshots are written here as the catalog reader returns them; test/integration/drift.test.ts
// reads real ones from PostgreSQL.

type Objects = Partial<Record<ObjectKind, Record<string, SchemaObject>>>;
const snapshot = (objects: Objects): SchemaSnapshot =>
  Object.fromEntries(OBJECT_KINDS.map((k) => [k, new Map(Object.entries(objects[k] ?? {}))])) as SchemaSnapshot;

const orders: Objects = {
  table: { 'public.orders': { name: 'orders', definition: 'table', extra: '2 columns' } },
  column: {
    'public.orders.id': { name: 'orders.id', definition: 'bigint not null', table: 'public.orders' },
    'public.orders.total': { name: 'orders.total', definition: 'numeric(10,2) not null default 0', table: 'public.orders' },
  },
  index: { 'public.orders_total_idx': { name: 'orders_total_idx on orders', definition: 'btree (total)', table: 'public.orders' } },
};

describe('compareSchemas', () => {
  it('finds nothing between equal snapshots, whatever order their objects came in', () => {
    const reversed: Objects = Object.fromEntries(Object.entries(orders).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).reverse())]));
    expect(compareSchemas(snapshot(orders), snapshot(reversed))).toEqual([]);
  });

  it.each(OBJECT_KINDS)('%s: one only live has, one only the migrations have, one both have differently', (kind) => {
    const obj = (definition: string): SchemaObject => ({ name: `x_${kind}`, definition });
    const live = snapshot({ [kind]: { a: obj('one'), b: obj('same'), c: obj('live def') } });
    const expected = snapshot({ [kind]: { b: obj('same'), c: obj('expected def'), d: obj('two') } });
    expect(compareSchemas(live, expected)).toEqual([
      { kind, name: `x_${kind}`, live: 'one' },
      { kind, name: `x_${kind}`, live: 'live def', expected: 'expected def' },
      { kind, name: `x_${kind}`, expected: 'two' },
    ]);
  });

  it('a table only one side has is one difference: its columns and indexes are not listed', () => {
    expect(compareSchemas(snapshot(orders), snapshot({}))).toEqual([{ kind: 'table', name: 'orders', live: 'table, 2 columns' }]);
    expect(compareSchemas(snapshot({}), snapshot(orders))).toEqual([{ kind: 'table', name: 'orders', expected: 'table, 2 columns' }]);
  });

  it('lists kinds in a fixed order: extensions and tables before their columns and indexes', () => {
    const live = snapshot({
      ...orders,
      column: { ...orders.column, 'public.orders.note': { name: 'orders.note', definition: 'text null', table: 'public.orders' } },
    });
    const expected = snapshot({ ...orders, index: {}, extension: { pgcrypto: { name: 'pgcrypto', definition: 'version 1.3 in schema public' } } });
    expect(compareSchemas(live, expected).map((d) => d.kind)).toEqual(['extension', 'column', 'index']);
  });

  it('counts the objects of each kind on either side', () => {
    const counts = countObjects(snapshot(orders), snapshot({ ...orders, index: { other: { name: 'other', definition: 'btree (id)' } } }));
    expect(counts).toMatchObject({ table: 1, column: 2, index: 2, view: 0 });
  });
});

describe('formatDifference', () => {
  it('says what, where, live against the migrations, on one line', () => {
    expect(formatDifference({ kind: 'column', name: 'orders.note', live: 'text null' })).toBe('column orders.note: live has it (text null), migrations do not');
    expect(formatDifference({ kind: 'index', name: 'orders_total_idx on orders', expected: 'btree (total)' })).toBe(
      'index orders_total_idx on orders: migrations have it (btree (total)), live does not',
    );
    expect(formatDifference({ kind: 'column', name: 'orders.total', live: 'numeric(12,2) not null', expected: 'numeric(10,2) not null' })).toBe(
      'column orders.total: live numeric(12,2) not null, migrations numeric(10,2) not null',
    );
    expect(formatDifference({ kind: 'schema', name: 'audit', live: '' })).toBe('schema audit: live has it, migrations do not');
  });

  it('cuts long definitions to the words around their first difference', () => {
    const base = 'SELECT orders.id, orders.total, orders.user_id, orders.created_at FROM orders WHERE ';
    const [l, e] = aroundFirstDifference(`${base}(orders.total > 1000)`, `${base}(orders.total > 100)`);
    expect(l).toMatch(/^….*\(orders\.total > 1000\)$/);
    expect(e).toMatch(/^….*\(orders\.total > 100\)$/);
    expect(l.length).toBeLessThan(70);
    // Short ones stay whole.
    expect(aroundFirstDifference('integer', 'bigint')).toEqual(['integer', 'bigint']);
  });
});
