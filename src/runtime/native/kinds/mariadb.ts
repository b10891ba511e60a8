import { join } from 'node:path';
import type { NativeKind } from './types.js';

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
export const mariadb: NativeKind<'mysql', MariadbSettings> = {
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
