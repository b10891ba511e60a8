import { join } from 'node:path';
import * as z from 'zod/mini';
import { port, text } from '../config/zod.js';
import { type Kind, type NativeDecl, type NativeKind, type ProjectView, type ServiceBase, secret } from './types.js';

/** The keys of a MySQL-protocol server: mariadb and mysql alike. */
export const mysqlKeys = (kind: 'mariadb' | 'mysql', image: string) =>
  z.strictObject({
    kind: z.optional(z.literal(kind)),
    image: z._default(text(), image),
    host: z._default(text(), '127.0.0.1'),
    port: z._default(port, 3306),
    /** Default: the project name. */
    database: z.optional(text()),
    user: z._default(text().check(z.refine((v: string) => v !== 'root', { error: "expected the app's own user, not root (root_password sets root's)" })), kind),
    password: z._default(text(), kind),
    /** root's password in the container; unset: a random one, as the official images do on request. */
    root_password: z.optional(text()),
  });

const mariadbSchema = mysqlKeys('mariadb', 'mariadb:11');

export type MariadbService = z.output<typeof mariadbSchema> & { kind: 'mariadb'; name: string; database: string };

export interface MariadbSettings {
  user: string;
  password: string;
  database: string;
  /** Where the Unix socket goes (default `dir`): socket paths are limited to about 107 bytes. */
  socketDir?: string;
}

/**
 * MariaDB from `mariadbd` with an option file of its own (`--defaults-file`: the system's
 * /etc/mysql is not read). `mariadb-install-db` creates the system tables once; the
 * configured user and database are (re)applied from an init file at every start, so a changed
 * password takes effect on the next start. Root keeps Debian's default: the Unix socket, as
 * the OS user root, only.
 */
export const mariadbLaunch: NativeKind<'mysql', MariadbSettings> = {
  kind: 'mariadb',
  ports: ['mysql'],
  account: 'mysql',
  launch({ dir, host, ports, user, password, database, socketDir }) {
    const cnf = join(dir, 'my.cnf');
    const data = join(dir, 'data');
    const init = join(dir, 'init.sql');
    const options = {
      datadir: data,
      socket: join(socketDir ?? dir, `mysqld-${ports.mysql}.sock`),
      'pid-file': join(dir, 'mysqld.pid'),
      port: String(ports.mysql),
      'bind-address': host,
      'init-file': init,
    };
    const u = `${sqlString(user)}@'%'`;
    return {
      program: { candidates: ['mariadbd', '/usr/sbin/mariadbd', '/opt/homebrew/bin/mariadbd', '/usr/local/bin/mariadbd'] },
      args: [`--defaults-file=${cnf}`],
      env: {},
      dirs: [data],
      files: [
        // [mysqld] is read by both mariadbd and mariadb-install-db.
        { path: cnf, content: ['[mysqld]', ...Object.entries(options).map(([k, v]) => `${k} = ${optionValue(v)}`), 'skip-name-resolve', ''].join('\n') },
        {
          path: init,
          content: [
            `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(database)};`,
            `CREATE USER IF NOT EXISTS ${u} IDENTIFIED BY ${sqlString(password)};`,
            `ALTER USER ${u} IDENTIFIED BY ${sqlString(password)};`,
            `GRANT ALL PRIVILEGES ON ${sqlIdentifier(database)}.* TO ${u};`,
            '',
          ].join('\n'),
        },
      ],
      init: {
        program: { candidates: ['mariadb-install-db', '/usr/bin/mariadb-install-db', 'mysql_install_db'] },
        args: [`--defaults-file=${cnf}`, '--skip-test-db', '--skip-name-resolve'],
        creates: join(data, 'mysql'),
      },
      // InnoDB flushes its buffer pool on a clean stop.
      stopGraceMs: 30_000,
    };
  },
};

/** A single-quoted SQL string (the default sql_mode reads backslash escapes). */
export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function sqlIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** An option file value, quoted (a path may hold spaces or `#`). */
function optionValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

type MysqlLike = MariadbService | (Omit<MariadbService, 'kind'> & { kind: 'mysql' });

/** The project's databases: a MySQL-protocol server gives DATABASE_URL too when it is the only one. */
function onlyDatabase(svc: ServiceBase, project: ProjectView): boolean {
  const databases = project.services.filter((s) => s.kind === 'postgres' || s.kind === 'mariadb' || s.kind === 'mysql');
  return databases.length === 1 && databases[0] === svc;
}

/** What mariadb and mysql share: the protocol, the URL, the probe; their images differ in names only. */
export function mysqlLike<S extends MysqlLike>(opts: {
  name: S['kind'];
  title: string;
  // biome-ignore lint/suspicious/noExplicitAny: a strict object schema of either shape
  schema: z.ZodMiniObject<any>;
  /** The image's variables' prefix (MARIADB_, MYSQL_) and its client programs. */
  prefix: 'MARIADB' | 'MYSQL';
  admin: string;
  client: string;
  native: NativeDecl<S>;
}): Kind<S> {
  const kind: Kind<S> = {
    name: opts.name,
    title: opts.title,
    schema: opts.schema,
    complete(svc, project) {
      svc.database ??= project.replace(/[^A-Za-z0-9_]/g, '_');
    },
    ports: (svc) => [{ key: 'port', name: 'mysql', port: svc.port, container: 3306 }],
    secrets: ['password', 'root_password'],
    url: (svc, at) => `mysql://${encodeURIComponent(svc.user)}:${at.urlSecret('password')}@${at.host}:${at.port('mysql')}/${encodeURIComponent(svc.database)}`,
    exports(svc, at, project) {
      const url = kind.url(svc, at)!;
      const out: Record<string, string> = { MYSQL_URL: url };
      if (onlyDatabase(svc, project)) out.DATABASE_URL = url;
      return out;
    },
    schemes: { 'mysql:': 3306, 'mariadb:': 3306 },
    probe: (svc) => ({ protocol: 'mysql', host: svc.host, port: svc.port, user: svc.user, password: svc.password, database: svc.database }),
    native: opts.native,
    container: (svc) => ({
      image: svc.image as string,
      env: {
        [`${opts.prefix}_DATABASE`]: svc.database,
        [`${opts.prefix}_USER`]: svc.user,
        [`${opts.prefix}_PASSWORD`]: secret('password'),
        ...(svc.root_password ? { [`${opts.prefix}_ROOT_PASSWORD`]: secret('root_password') } : { [`${opts.prefix}_RANDOM_ROOT_PASSWORD`]: 'yes' }),
      },
      volume: '/var/lib/mysql',
      // The password from the environment (MYSQL_PWD), never an argument.
      check: ['sh', '-c', `MYSQL_PWD="$${opts.prefix}_PASSWORD" ${opts.admin} ping -h 127.0.0.1 -u "$${opts.prefix}_USER" --silent`],
      storage: '5Gi',
      resources: { cpu: '100m', memory: '256Mi' },
    }),
    client: (svc, at) => ({
      program: opts.client,
      args: ['-h', at.host, '-P', String(at.port), '-u', svc.user, svc.database],
      env: { MYSQL_PWD: svc.password },
    }),
  };
  return kind;
}

/** MariaDB: the official image's MARIADB_DATABASE / _USER / _PASSWORD / _ROOT_PASSWORD; natively mariadbd. */
export const mariadb: Kind<MariadbService> = mysqlLike<MariadbService>({
  name: 'mariadb',
  title: 'MariaDB',
  schema: mariadbSchema,
  prefix: 'MARIADB',
  admin: 'mariadb-admin',
  client: 'mariadb',
  native: {
    launch: mariadbLaunch,
    ports: (svc) => ({ mysql: svc.port }),
    settings: (svc, ctx) => ({ user: svc.user, password: svc.password, database: svc.database, socketDir: ctx.socketDir }),
    install: { system: { apt: ['mariadb-server'], dnf: ['mariadb-server'], brew: ['mariadb'] } },
    processNames: ['mariadbd', 'mysqld'],
  },
});
