import type * as z from 'zod/mini';
import { mysqlKeys, mysqlLike } from './mariadb.js';
import type { Kind } from './types.js';

const schema = mysqlKeys('mysql', 'mysql:8');

export type MysqlService = z.output<typeof schema> & { kind: 'mysql'; name: string; database: string };

/** MySQL: the official image's MYSQL_DATABASE / _USER / _PASSWORD / _ROOT_PASSWORD; Docker only. */
export const mysql: Kind<MysqlService> = mysqlLike<MysqlService>({
  name: 'mysql',
  title: 'MySQL',
  schema,
  prefix: 'MYSQL',
  admin: 'mysqladmin',
  client: 'mysql',
  native: {
    refuse:
      'MySQL has no package tm runs here (Debian ships MariaDB): use the Docker runtime (runtime: docker), or kind: mariadb, which speaks the same protocol, for local binaries',
  },
});
