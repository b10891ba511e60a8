import type { Client, QueryResult } from 'pg';
import { HISTORY_TABLE } from '../migrations/sql/history.js';
import { SEEDS_TABLE } from '../seeds/tracking.js';

// A database's schema as its catalogs describe it: every kind of object that migrations make,
// read in one round trip (one multi-statement query in one read-only transaction, so all the
// kinds are read from the same moment) and keyed so that two databases compare object by
// object, whatever order things were created in.

/** The kinds of object compared, in the order their differences are listed. */
export const OBJECT_KINDS = ['extension', 'schema', 'enum', 'table', 'column', 'constraint', 'index', 'view', 'function', 'trigger'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** One object as the catalogs describe it. */
export interface SchemaObject {
  /** How a difference names it: `orders.note`, `orders_pkey on orders`, `touch()`. */
  name: string;
  /** What is compared, normalised (the same object in two databases has the same text). */
  definition: string;
  /** Shown after the definition when only one side has the object (a table's column count). */
  extra?: string;
  /** The key of the table it belongs to: left out when that whole table is on one side only. */
  table?: string;
}

/** Objects of each kind by key (schema-qualified, so two databases line up). */
export type SchemaSnapshot = Record<ObjectKind, Map<string, SchemaObject>>;

/**
 * Tables that are tm's or Prisma's bookkeeping, not the project's schema: the migration
 * history (tm's, Prisma's `_prisma_migrations`) and the record of seed runs.
 */
export const BOOKKEEPING_TABLES = [HISTORY_TABLE, SEEDS_TABLE, '_prisma_migrations'];

/** Which schemas are the project's: one (`?schema=` in the URL), else every one not the server's. */
export interface Scope {
  /** `?schema=`: only this schema. */
  schema?: string;
}

/**
 * Reads the schema of the database `client` is connected to. Names are rendered with
 * `search_path` set to the project's schema (public, or `?schema=`), so that both databases
 * qualify names alike, whatever their own settings.
 */
export async function readSchema(client: Client, scope: Scope = {}): Promise<SchemaSnapshot> {
  const home = scope.schema ?? 'public';
  const lit = (s: string) => client.escapeLiteral(s);
  const inScope = scope.schema ? `n.nspname = ${lit(scope.schema)}` : `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`;
  const ownTable = `c.relname NOT IN (${BOOKKEEPING_TABLES.map(lit).join(', ')}) AND ${notFromExtension('pg_class', 'c.oid')}`;
  const queries = {
    extension: `SELECT x.extname AS name, x.extversion AS version, n.nspname AS nsp
      FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace`,
    schema: `SELECT n.nspname AS nsp FROM pg_namespace n WHERE ${inScope} AND ${notFromExtension('pg_namespace', 'n.oid')}`,
    enum: `SELECT n.nspname AS nsp, t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE ${inScope} AND ${notFromExtension('pg_type', 't.oid')} GROUP BY n.nspname, t.typname`,
    table: `SELECT n.nspname AS nsp, c.relname AS name, c.relkind AS kind, c.relpersistence AS persistence,
        CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
        CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1) END AS parent,
        pg_get_expr(c.relpartbound, c.oid) AS bound,
        (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::int AS columns
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'f') AND ${inScope} AND ${ownTable}`,
    column: `SELECT n.nspname AS nsp, c.relname AS tbl, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
        a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity AS identity, a.attgenerated AS generated,
        CASE WHEN a.attcollation <> t.typcollation THEN (SELECT l.collname FROM pg_collation l WHERE l.oid = a.attcollation) END AS collation
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND ${inScope} AND ${ownTable}`,
    constraint: `SELECT n.nspname AS nsp, c.relname AS tbl, k.conname AS name, pg_get_constraintdef(k.oid) AS def
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${inScope} AND ${ownTable}`,
    // Indexes that back a primary key, unique or exclusion constraint are that constraint's
    // (compared as the constraint): listing them twice would double each difference.
    index: `SELECT n.nspname AS nsp, c.relname AS tbl, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm', 'f') AND ${inScope} AND ${ownTable}
        AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))`,
    view: `SELECT n.nspname AS nsp, c.relname AS name, c.relkind AS kind, pg_get_viewdef(c.oid) AS def
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('v', 'm') AND ${inScope} AND ${notFromExtension('pg_class', 'c.oid')}`,
    // The body's hash: prosrc, or for a SQL-standard body (BEGIN ATOMIC, whose prosrc is empty)
    // the whole definition; pg_get_functiondef refuses aggregates, which have no body.
    function: `SELECT n.nspname AS nsp, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args, p.prokind AS kind,
        pg_get_function_result(p.oid) AS result, l.lanname AS lang, p.provolatile AS volatility, p.prosecdef AS secdef,
        p.proisstrict AS strict, p.proconfig AS config,
        md5(CASE WHEN p.prosrc = '' AND p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE coalesce(p.prosrc, '') END) AS body
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE ${inScope} AND ${notFromExtension('pg_proc', 'p.oid')}`,
    trigger: `SELECT n.nspname AS nsp, c.relname AS tbl, t.tgname AS name, quote_ident(t.tgname) AS quoted,
        pg_get_triggerdef(t.oid) AS def, t.tgenabled AS enabled
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND ${inScope} AND ${ownTable}`,
  } satisfies Record<ObjectKind, string>;

  const sql = [
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    `SET LOCAL search_path = ${client.escapeIdentifier(home)}`,
    // A session holding a lock on the schema (a migration running) must not hang the check.
    "SET LOCAL lock_timeout = '5s'",
    ...OBJECT_KINDS.map((k) => queries[k]),
    'COMMIT',
  ].join(';\n');
  let results: QueryResult[];
  try {
    results = (await client.query(sql)) as unknown as QueryResult[];
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  const rowsOf = (kind: ObjectKind) => results[3 + OBJECT_KINDS.indexOf(kind)]!.rows as Row[];
  const snapshot = Object.fromEntries(OBJECT_KINDS.map((k) => [k, new Map<string, SchemaObject>()])) as SchemaSnapshot;
  for (const kind of OBJECT_KINDS) {
    for (const row of rowsOf(kind)) {
      const [key, object] = DESCRIBE[kind](row, home);
      snapshot[kind].set(key, object);
    }
  }
  return snapshot;
}

/** Leaves out objects an extension created (its functions, types, tables): the extension is compared instead. */
function notFromExtension(catalog: string, oid: string): string {
  return `NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
}

type Value = string | boolean | number | string[] | null | undefined;
type Row = Record<string, Value>;
type Describe = (row: Row, home: string) => [key: string, object: SchemaObject];

const str = (v: Value) => (v === null || v === undefined ? '' : String(v));
/** A name as shown: unqualified in the project's own schema. */
const shown = (nsp: string, name: string, home: string) => (nsp === home ? name : `${nsp}.${name}`);
/** Whitespace runs as one space: a definition's layout is not part of it. */
const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();

const TABLE_KIND: Record<string, string> = { r: 'table', p: 'partitioned table', f: 'foreign table' };
const VOLATILITY: Record<string, string> = { i: 'immutable', s: 'stable', v: 'volatile' };
const FUNCTION_KIND: Record<string, string> = { f: '', p: 'procedure ', a: 'aggregate ', w: 'window ' };

const DESCRIBE: Record<ObjectKind, Describe> = {
  extension: (r) => [str(r.name), { name: str(r.name), definition: `version ${str(r.version)} in schema ${str(r.nsp)}` }],
  schema: (r) => [str(r.nsp), { name: str(r.nsp), definition: '' }],
  enum: (r, home) => {
    const labels = (r.labels as string[] | null) ?? [];
    return [`${str(r.nsp)}.${str(r.name)}`, { name: shown(str(r.nsp), str(r.name), home), definition: `[${labels.join(', ')}]` }];
  },
  table: (r, home) => {
    const kind = `${r.persistence === 'u' ? 'unlogged ' : ''}${TABLE_KIND[str(r.kind)] ?? 'table'}`;
    const partitioned = r.partkey ? ` by ${str(r.partkey)}` : '';
    const partition = r.parent ? `, partition of ${str(r.parent)} ${str(r.bound)}` : '';
    const key = `${str(r.nsp)}.${str(r.name)}`;
    return [
      key,
      {
        name: shown(str(r.nsp), str(r.name), home),
        definition: `${kind}${partitioned}${partition}`,
        extra: `${str(r.columns)} column${r.columns === 1 ? '' : 's'}`,
      },
    ];
  },
  column: (r, home) => {
    const generated = r.generated === 's';
    const definition = [
      str(r.type),
      r.collation ? `collate ${str(r.collation)}` : '',
      r.notnull ? 'not null' : 'null',
      r.def && generated ? `generated always as (${str(r.def)}) stored` : r.def ? `default ${str(r.def)}` : '',
      r.identity === 'a' ? 'generated always as identity' : r.identity === 'd' ? 'generated by default as identity' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const table = `${str(r.nsp)}.${str(r.tbl)}`;
    return [`${table}.${str(r.name)}`, { name: `${shown(str(r.nsp), str(r.tbl), home)}.${str(r.name)}`, definition, table }];
  },
  constraint: (r, home) => {
    const table = `${str(r.nsp)}.${str(r.tbl)}`;
    return [`${table}.${str(r.name)}`, { name: `${str(r.name)} on ${shown(str(r.nsp), str(r.tbl), home)}`, definition: str(r.def), table }];
  },
  index: (r, home) => {
    // `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING method (...)`: name and table are
    // the key and the place; what the index is starts at its method.
    const def = str(r.def);
    const using = def.indexOf(' USING ');
    const definition = `${/^CREATE UNIQUE /.test(def) ? 'unique ' : ''}${using < 0 ? def : def.slice(using + ' USING '.length)}`;
    const table = `${str(r.nsp)}.${str(r.tbl)}`;
    return [`${str(r.nsp)}.${str(r.name)}`, { name: `${shown(str(r.nsp), str(r.name), home)} on ${shown(str(r.nsp), str(r.tbl), home)}`, definition, table }];
  },
  view: (r, home) => {
    const kind = r.kind === 'm' ? 'materialized view: ' : '';
    return [`${str(r.nsp)}.${str(r.name)}`, { name: shown(str(r.nsp), str(r.name), home), definition: `${kind}${squeeze(str(r.def))}` }];
  },
  function: (r, home) => {
    const config = ((r.config as string[] | null) ?? []).map((s) => `set ${s}`);
    const definition = [
      `${FUNCTION_KIND[str(r.kind)] ?? ''}returns ${str(r.result)}`.replace(/^procedure returns $/, 'procedure'),
      `language ${str(r.lang)}`,
      VOLATILITY[str(r.volatility)] ?? '',
      r.strict ? 'strict' : '',
      r.secdef ? 'security definer' : '',
      ...config,
      `body md5 ${str(r.body).slice(0, 12)}`,
    ]
      .filter(Boolean)
      .join(' ');
    const signature = `${str(r.name)}(${str(r.args)})`;
    return [`${str(r.nsp)}.${signature}`, { name: shown(str(r.nsp), signature, home), definition }];
  },
  trigger: (r, home) => {
    // `CREATE [CONSTRAINT] TRIGGER name BEFORE ... ON table ...`: what follows the name.
    const def = str(r.def);
    const at = def.indexOf(` ${str(r.quoted)} `);
    const definition = `${at < 0 ? def : def.slice(at + str(r.quoted).length + 2)}${r.enabled === 'D' ? ' (disabled)' : ''}`;
    const table = `${str(r.nsp)}.${str(r.tbl)}`;
    return [`${table}.${str(r.name)}`, { name: `${str(r.name)} on ${shown(str(r.nsp), str(r.tbl), home)}`, definition, table }];
  },
};
