import { describe, expect, it } from 'vitest';
import { maildevLaunch as maildev } from '../../src/catalog/mailpit.js';
import { mariadbLaunch as mariadb } from '../../src/catalog/mariadb.js';
import { memcachedLaunch as memcached } from '../../src/catalog/memcached.js';
import { natsLaunch as nats } from '../../src/catalog/nats.js';
import { prometheusLaunch as prometheus } from '../../src/catalog/prometheus.js';
import { rabbitmqLaunch as rabbitmq } from '../../src/catalog/rabbitmq.js';
import type { NativeLaunch } from '../../src/catalog/types.js';

// The launches are data: what they put where can be read without starting anything. The
// servers themselves run in test/integration/kind-probes-native and kind-probes-rabbitmq.

const SECRET = 'S3cret-pw';
const dir = '/srv/stack/.taskmaster/data/svc';
const base = { dir, host: '127.0.0.1' };
const launches: Record<string, NativeLaunch> = {
  rabbitmq: rabbitmq.launch({ ...base, ports: { amqp: 5672, management: 15672, dist: 25672, epmd: 4369 }, user: 'app', password: SECRET, vhost: '/' }),
  mariadb: mariadb.launch({ ...base, ports: { mysql: 3306 }, user: 'app', password: SECRET, database: 'app' }),
  'nats (user)': nats.launch({ ...base, ports: { nats: 4222, monitor: 8222 }, user: 'app', password: SECRET }),
  'nats (token)': nats.launch({ ...base, ports: { nats: 4222, monitor: 8222 }, token: SECRET }),
  memcached: memcached.launch({ ...base, ports: { memcached: 11211 } }),
  prometheus: prometheus.launch({ ...base, ports: { web: 9090 }, scrape: [{ job: 'app', targets: ['127.0.0.1:3000'], metricsPath: '/internal/metrics' }] }),
  maildev: maildev.launch({ ...base, ports: { smtp: 1025, web: 1080 } }),
};

describe('native launches', () => {
  for (const [name, launch] of Object.entries(launches)) {
    it(`${name}: a password goes into a file, never into the arguments or the environment`, () => {
      const visible = JSON.stringify([launch.args, launch.env, launch.init?.args, launch.afterStop]);
      expect(visible).not.toContain(SECRET);
      const inFiles = launch.files.some((f) => f.content.includes(SECRET));
      expect(inFiles).toBe(['rabbitmq', 'mariadb', 'nats (user)', 'nats (token)'].includes(name));
    });

    it(`${name}: everything it writes stays in its directory`, () => {
      const paths = [...launch.dirs, ...launch.files.map((f) => f.path), ...(launch.init ? [launch.init.creates] : [])];
      for (const p of paths) expect(p.startsWith(`${dir}/`), p).toBe(true);
    });
  }

  it('rabbitmq reads no configuration of the system node', () => {
    const env = launches.rabbitmq!.env;
    for (const key of [
      'RABBITMQ_CONF_ENV_FILE',
      'RABBITMQ_CONFIG_FILE',
      'RABBITMQ_ADVANCED_CONFIG_FILE',
      'RABBITMQ_ENABLED_PLUGINS_FILE',
      'RABBITMQ_MNESIA_BASE',
      'RABBITMQ_LOG_BASE',
      'HOME',
    ]) {
      expect(env[key]?.startsWith(dir), key).toBe(true);
    }
  });

  it('mariadb reads only its own option file, and puts its socket where asked', () => {
    expect(launches.mariadb!.args[0]).toBe(`--defaults-file=${dir}/my.cnf`);
    expect(launches.mariadb!.init!.args[0]).toBe(`--defaults-file=${dir}/my.cnf`);
    const short = mariadb.launch({ ...base, ports: { mysql: 3307 }, user: 'u', password: 'p', database: 'd', socketDir: '/tmp/tm-s' });
    expect(short.files[0]!.content).toContain('socket = "/tmp/tm-s/mysqld-3307.sock"');
  });

  it('prometheus scrapes the jobs it is given beside itself', async () => {
    const { parse } = await import('yaml');
    const conf = parse(launches.prometheus!.files[0]!.content) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    expect(conf.scrape_configs.map((j) => [j.job_name, j.metrics_path, j.static_configs[0]!.targets])).toEqual([
      ['prometheus', undefined, ['127.0.0.1:9090']],
      ['app', '/internal/metrics', ['127.0.0.1:3000']],
    ]);
  });
});
