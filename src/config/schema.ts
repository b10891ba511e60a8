import { z } from 'zod';

// The shape of taskmaster.yml. Key names are the contract fixed in DESIGN.md; everything is
// optional and gets a default, so an empty file is a valid (if dull) project.

/** Accepts 5432 or "5432" (interpolated values arrive as strings). */
const port = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
  z
    .number({ error: (iss) => `expected a port number (1-65535), got ${describe(iss.input)}` })
    .int({ error: 'expected a whole port number (1-65535)' })
    .min(1, { error: 'expected a port number (1-65535)' })
    .max(65535, { error: 'expected a port number (1-65535)' }),
);

const text = (what = 'a string') =>
  z.preprocess(
    (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
    z.string({ error: (iss) => `expected ${what}, got ${describe(iss.input)}` }),
  );

/** "500ms", "10s", "2m" (what parseDuration and compose's stop_grace_period both read). */
const duration = text('a duration such as 10s').refine((v) => /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h)?\s*$/.test(v), {
  error: 'expected a duration such as 500ms, 10s or 2m',
});

const identifier = z
  .string({ error: (iss) => `expected a name, got ${describe(iss.input)}` })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    error: 'expected letters, digits, "-", "_" or "." (starting with a letter or digit)',
  });

const postgresService = z.strictObject({
  kind: z.literal('postgres').optional(),
  image: text().default('postgres:16-alpine'),
  version: z.preprocess(
    (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
    z.number({ error: (iss) => `expected a major version such as 16, got ${describe(iss.input)}` }).int(),
  ).default(16),
  host: text().default('127.0.0.1'),
  port: port.default(5432),
  database: text().optional(),
  user: text().default('postgres'),
  password: text().default('postgres'),
});

const redisService = z.strictObject({
  kind: z.literal('redis').optional(),
  image: text().default('redis:7-alpine'),
  host: text().default('127.0.0.1'),
  port: port.default(6379),
  persistence: z
    .enum(['aof', 'rdb', 'none'], { error: (iss) => `expected one of aof, rdb, none, got ${describe(iss.input)}` })
    .default('aof'),
  password: text().optional(),
});

const appService = z.strictObject({
  kind: z.literal('app').optional(),
  command: z.union([text('a command line or a list of arguments'), z.array(text())]).optional(),
  cwd: text().optional(),
  image: text().optional(),
  build: text().optional(),
  host: text().default('127.0.0.1'),
  port: port.optional(),
  health: text('a URL such as http://localhost:3000/health').optional(),
  depends_on: z.array(identifier).default([]),
  env: z.record(z.string(), text()).default({}),
  /** How long `tm down` waits after SIGTERM before SIGKILL (both runtimes). */
  stop_grace_period: duration.optional(),
});

export const ENV_TYPES = [
  'string', 'url', 'postgres-url', 'redis-url', 'port', 'int', 'number', 'bool', 'enum',
  'email', 'duration', 'json', 'secret',
] as const;

const envVar = z.strictObject({
  type: z
    .enum(ENV_TYPES, { error: (iss) => `expected one of ${ENV_TYPES.join(', ')}, got ${describe(iss.input)}` })
    .optional(),
  required: z.boolean().default(false),
  default: text().optional(),
  devDefault: text().optional(),
  min: z.number().int().min(0).optional(),
  generate: z.boolean().default(false),
  values: z.array(text()).optional(),
  enum: z.array(text()).optional(),
  description: text().optional(),
  example: text().optional(),
});

export const configSchema = z.strictObject({
  name: identifier.optional(),
  runtime: z
    .enum(['auto', 'docker', 'native'], { error: (iss) => `expected auto, docker or native, got ${describe(iss.input)}` })
    .default('auto'),
  services: z.record(identifier, z.unknown()).default({}),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a variable name (A-Z, 0-9, _)' }), envVar).default({}),
  docker: z
    .strictObject({
      /** Use the project's own compose file instead of the one tm renders. */
      compose_file: text().optional(),
      /** `tm render compose`: add a throwaway `test-db` Postgres on tmpfs (one port above postgres). */
      test_db: z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` }).optional(),
    })
    .default({}),
  db: z
    .strictObject({
      migrations: text().default('db/migrations'),
      seeds: text().default('db/seeds'),
      prisma: text().optional(),
    })
    .default({ migrations: 'db/migrations', seeds: 'db/seeds' }),
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

/** A service with neither port nor health URL is a job: it is done when it exits 0. */
export function isOneShot(svc: Service): boolean {
  return svc.kind === 'app' && svc.port === undefined && svc.health === undefined;
}

/** Which schema applies to a service: its `kind`, else its name (`postgres`, `redis`), else app. */
export function serviceKind(name: string, raw: unknown): ServiceKind {
  const kind = raw && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  if (kind === 'postgres' || kind === 'redis' || kind === 'app') return kind;
  if (name === 'postgres' || name === 'redis') return name;
  return 'app';
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}
