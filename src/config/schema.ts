// zod/mini: the same validation as zod's classic API, but tree-shaken to a fraction of its
// size; loading classic zod cost ~30 ms on every command that reads taskmaster.yml.
import * as z from 'zod/mini';

// The shape of taskmaster.yml. Key names are the contract fixed in DESIGN.md; everything is
// optional and gets a default, so an empty file is a valid (if dull) project.

/** Accepts 5432 or "5432" (interpolated values arrive as strings). */
const port = preprocess(
  (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
  z
    .number({ error: (iss) => `expected a port number (1-65535), got ${describe(iss.input)}` })
    .check(
      z.int({ error: 'expected a whole port number (1-65535)' }),
      z.minimum(1, { error: 'expected a port number (1-65535)' }),
      z.maximum(65535, { error: 'expected a port number (1-65535)' }),
    ),
);

const text = (what = 'a string') =>
  preprocess(
    (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
    z.string({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` }),
  );

/** "500ms", "10s", "2m" (what parseDuration and compose's stop_grace_period both read). */
const duration = text('a duration such as 10s').check(
  z.refine((v: string) => /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h)?\s*$/.test(v), { error: 'expected a duration such as 500ms, 10s or 2m' }),
);

const identifier = z
  .string({ error: (iss) => `expected a name, got ${describe(iss.input)}` })
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected letters, digits, "-", "_" or "." (starting with a letter or digit)' }));

const postgresService = z.strictObject({
  kind: z.optional(z.literal('postgres')),
  image: z._default(text(), 'postgres:16-alpine'),
  /** The major version of local binaries to use; unset: the newest installed. */
  version: z.optional(
    preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
      z.number({ error: (iss) => `expected a major version such as 16, got ${describe(iss.input)}` }).check(z.int()),
    ),
  ),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 5432),
  database: z.optional(
    text().check(
      z.refine((v: string) => !/[?#]/.test(v), {
        error: 'a database name with "?" or "#" cannot be written in a database URL (pg reads it back cut short): choose another name',
      }),
    ),
  ),
  user: z._default(
    text().check(z.refine((v: string) => !v.startsWith('pg_'), { error: 'role names starting with "pg_" are reserved by PostgreSQL: choose another user' })),
    'postgres',
  ),
  password: z._default(text(), 'postgres'),
});

const redisService = z.strictObject({
  kind: z.optional(z.literal('redis')),
  image: z._default(text(), 'redis:7-alpine'),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 6379),
  persistence: z._default(z.enum(['aof', 'rdb', 'none'], { error: (iss) => `expected one of aof, rdb, none, got ${describe(iss.input)}` }), 'aof'),
  password: z.optional(text()),
});

const appService = z.strictObject({
  kind: z.optional(z.literal('app')),
  command: z.optional(z.union([text('a command line or a list of arguments'), z.array(text())])),
  cwd: z.optional(text()),
  image: z.optional(text()),
  build: z.optional(text()),
  host: z._default(text(), '127.0.0.1'),
  port: z.optional(port),
  health: z.optional(text('a URL such as http://localhost:3000/health')),
  depends_on: z._default(z.array(identifier), []),
  env: z._default(z.record(z.string(), text()), {}),
  /** How long `tm down` waits after SIGTERM before SIGKILL (both runtimes). */
  stop_grace_period: z.optional(duration),
});

export const ENV_TYPES = [
  'string',
  'url',
  'postgres-url',
  'redis-url',
  'port',
  'int',
  'number',
  'bool',
  'enum',
  'email',
  'duration',
  'json',
  'secret',
] as const;

const envVar = z.strictObject({
  type: z.optional(z.enum(ENV_TYPES, { error: (iss) => `expected one of ${ENV_TYPES.join(', ')}, got ${describe(iss.input)}` })),
  required: z._default(z.boolean(), false),
  default: z.optional(text()),
  devDefault: z.optional(text()),
  min: z.optional(z.number().check(z.int(), z.minimum(0))),
  generate: z._default(z.boolean(), false),
  values: z.optional(z.array(text())),
  enum: z.optional(z.array(text())),
  description: z.optional(text()),
  example: z.optional(text()),
});

export const configSchema = z.strictObject({
  name: z.optional(identifier),
  runtime: z._default(z.enum(['auto', 'docker', 'native'], { error: (iss) => `expected auto, docker or native, got ${describe(iss.input)}` }), 'auto'),
  services: z._default(z.record(identifier, z.unknown()), {}),
  env: z._default(z.record(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a variable name (A-Z, 0-9, _)' })), envVar), {}),
  docker: z._default(
    z.strictObject({
      /** Use the project's own compose file instead of the one tm renders. */
      compose_file: z.optional(text()),
      /** `tm render compose`: add a throwaway `test-db` Postgres on tmpfs (one port above postgres). */
      test_db: z.optional(z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` })),
    }),
    {},
  ),
  db: z._default(
    z.strictObject({
      migrations: z._default(text(), 'db/migrations'),
      seeds: z._default(text(), 'db/seeds'),
      prisma: z.optional(text()),
    }),
    { migrations: 'db/migrations', seeds: 'db/seeds' },
  ),
});

export const serviceSchemas = { postgres: postgresService, redis: redisService, app: appService } as const;

export type ServiceKind = keyof typeof serviceSchemas;
export type PostgresService = z.output<typeof postgresService> & { kind: 'postgres'; name: string; database: string };
export type RedisService = z.output<typeof redisService> & { kind: 'redis'; name: string };
export type AppService = z.output<typeof appService> & {
  kind: 'app';
  name: string;
  /** `env:` as written, before `${VAR}` expansion: compose expands the same syntax from .env. */
  envSource?: Record<string, string>;
};
export type Service = PostgresService | RedisService | AppService;
export type EnvVarSpec = z.output<typeof envVar>;
export type RawConfig = z.output<typeof configSchema>;

/** Which schema applies to a service: its `kind`, else its name (`postgres`, `redis`), else app. */
export function serviceKind(name: string, raw: unknown): ServiceKind {
  const kind = raw && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  if (kind === 'postgres' || kind === 'redis' || kind === 'app') return kind;
  if (name === 'postgres' || name === 'redis') return name;
  return 'app';
}

/** zod's `preprocess`, which zod/mini spells as a transform piped into the schema. */
function preprocess<T extends z.ZodMiniType>(fn: (v: unknown) => unknown, schema: T) {
  return z.pipe(z.transform(fn), schema);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}
