import type { ServiceKind } from '../../catalog/index.js';

// Which kind of the catalog an image of a compose file runs, and how its contract maps onto
// the kind's keys: the variables that set them, and its ports inside the container.

/** A key of the kind set from the image's variables (the first one set wins). */
export interface CredentialKey {
  key: string;
  variables: string[];
  /** Masked in output; written as a reference to a variable where one can be kept. */
  secret?: boolean;
}

export interface ImageContract {
  kind: Exclude<ServiceKind, 'app' | 'generic'>;
  /** The image runs the kind's own contract (its variables, ports): kept as it is. Otherwise the kind's image replaces it. */
  keep: boolean;
  /** Its container ports by the kind's port key, where they are not the kind's own. */
  ports?: Record<string, number>;
}

/** Image names (the last part of the repository, no tag) by what they run. */
const IMAGES: Record<string, ImageContract> = {
  postgres: { kind: 'postgres', keep: true },
  postgis: { kind: 'postgres', keep: true },
  timescaledb: { kind: 'postgres', keep: true },
  'timescaledb-ha': { kind: 'postgres', keep: true },
  pgvector: { kind: 'postgres', keep: true },
  redis: { kind: 'redis', keep: true },
  'redis-stack-server': { kind: 'redis', keep: false },
  valkey: { kind: 'redis', keep: false },
  keydb: { kind: 'redis', keep: false },
  rabbitmq: { kind: 'rabbitmq', keep: true },
  mariadb: { kind: 'mariadb', keep: true },
  mysql: { kind: 'mysql', keep: true },
  'mysql-server': { kind: 'mysql', keep: false },
  memcached: { kind: 'memcached', keep: true },
  nats: { kind: 'nats', keep: true },
  mailpit: { kind: 'mailpit', keep: true },
  mailhog: { kind: 'mailpit', keep: false },
  maildev: { kind: 'mailpit', keep: false, ports: { web_port: 1080 } },
  minio: { kind: 'minio', keep: true },
  elasticsearch: { kind: 'elasticsearch', keep: true },
  opensearch: { kind: 'opensearch', keep: true },
  prometheus: { kind: 'prometheus', keep: true },
};

/** Images of migration tools: tm db migrate does their job. */
const MIGRATION_TOOLS = new Set(['migrate', 'flyway', 'dbmate', 'liquibase', 'prisma-migrate']);

/** `docker.io/library/postgres:16-alpine@sha256:...` -> `postgres`. */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.split('/').pop()!;
  return last.split(':')[0]!.toLowerCase();
}

/** The tag of an image (`16-alpine`), if any. */
export function imageTag(image: string): string | undefined {
  const last = image.split('@')[0]!.split('/').pop()!;
  const i = last.indexOf(':');
  return i === -1 ? undefined : last.slice(i + 1);
}

export function imageContract(image: string): ImageContract | undefined {
  return IMAGES[imageName(image)];
}

export function isMigrationTool(image: string): boolean {
  return MIGRATION_TOOLS.has(imageName(image));
}

/** The keys each kind takes from its image's variables. */
export const CREDENTIALS: Partial<Record<ImageContract['kind'], CredentialKey[]>> = {
  postgres: [
    { key: 'user', variables: ['POSTGRES_USER'] },
    { key: 'password', variables: ['POSTGRES_PASSWORD'], secret: true },
    { key: 'database', variables: ['POSTGRES_DB'] },
  ],
  redis: [{ key: 'password', variables: ['REDIS_PASSWORD'], secret: true }],
  rabbitmq: [
    { key: 'user', variables: ['RABBITMQ_DEFAULT_USER'] },
    { key: 'password', variables: ['RABBITMQ_DEFAULT_PASS'], secret: true },
    { key: 'vhost', variables: ['RABBITMQ_DEFAULT_VHOST'] },
  ],
  mariadb: mysqlCredentials(),
  mysql: mysqlCredentials(),
  minio: [
    { key: 'user', variables: ['MINIO_ROOT_USER', 'MINIO_ACCESS_KEY'] },
    { key: 'password', variables: ['MINIO_ROOT_PASSWORD', 'MINIO_SECRET_KEY'], secret: true },
  ],
  elasticsearch: [{ key: 'password', variables: ['ELASTIC_PASSWORD'], secret: true }],
};

function mysqlCredentials(): CredentialKey[] {
  return [
    { key: 'database', variables: ['MARIADB_DATABASE', 'MYSQL_DATABASE'] },
    { key: 'user', variables: ['MARIADB_USER', 'MYSQL_USER'] },
    { key: 'password', variables: ['MARIADB_PASSWORD', 'MYSQL_PASSWORD'], secret: true },
    { key: 'root_password', variables: ['MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD'], secret: true },
  ];
}
