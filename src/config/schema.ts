import * as z from 'zod/mini';
import { KINDS, type Service } from '../catalog/index.js';
import { RUNTIME_NAMES } from './runtime-name.js';
import { describe, identifier, text } from './zod.js';

// The shape of taskmaster.yml. Key names are a contract with users' files (renaming one breaks
// every project that uses it); everything is optional and gets a default, so an empty file is
// a valid (if dull) project. Each service's keys are its kind's (src/catalog).

// The service types, for whoever reads them with the rest of the config.
export type * from '../catalog/index.js';

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

/** The ways of keeping migrations tm reads (`db.layout`). */
export const MIGRATION_LAYOUTS = ['dbmate', 'golang-migrate', 'flyway', 'prisma'] as const;
export type MigrationLayout = (typeof MIGRATION_LAYOUTS)[number];

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
  runtime: z._default(z.enum(RUNTIME_NAMES, { error: (iss) => `expected auto, docker or native, got ${describe(iss.input)}` }), 'auto'),
  /** auto: a second stack of the project on this machine (worktree, clone) gets ports of its own; fixed: never. */
  ports: z._default(z.enum(['auto', 'fixed'], { error: (iss) => `expected auto or fixed, got ${describe(iss.input)}` }), 'auto'),
  services: z._default(z.record(identifier, z.unknown()), {}),
  env: z._default(z.record(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a variable name (A-Z, 0-9, _)' })), envVar), {}),
  docker: z._default(
    z.strictObject({
      /** Use the project's own compose file instead of the one tm renders. */
      compose_file: z.optional(text()),
      /** The older spelling of the first Postgres service's `test_database: true` (a throwaway `test-db`). */
      test_db: z.optional(z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` })),
    }),
    {},
  ),
  db: z._default(
    z.strictObject({
      migrations: z._default(text(), 'db/migrations'),
      seeds: z._default(text(), 'db/seeds'),
      prisma: z.optional(text()),
      /** The migrations' layout; by default recognised from the files (src/db/migrations/layouts.ts). */
      layout: z.optional(z.enum(MIGRATION_LAYOUTS, { error: (iss) => `expected one of ${MIGRATION_LAYOUTS.join(', ')}, got ${describe(iss.input)}` })),
      /** The database follows the git branch: `<database>__<branch>` off the default branch, copied from the branch it came from. */
      branches: z._default(z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` }), false),
      /** The branch whose database is the configured one (default: origin's HEAD, else main or master). */
      default_branch: z.optional(text()),
      /** How many template databases (one per set of migration and seed files) tm db reset keeps, most recently used first. */
      templates: z._default(z.number({ error: (iss) => `expected a number, got ${describe(iss.input)}` }).check(z.int(), z.minimum(1), z.maximum(100)), 5),
    }),
    { migrations: 'db/migrations', seeds: 'db/seeds', branches: false, templates: 5 },
  ),
});

/** Each kind's schema of a service, by kind. */
export const serviceSchemas = Object.fromEntries(Object.entries(KINDS).map(([k, kind]) => [k, kind.schema])) as {
  [K in Service['kind']]: (typeof KINDS)[K]['schema'];
};

export type EnvVarSpec = z.output<typeof envVar>;
export type RawConfig = z.output<typeof configSchema>;
