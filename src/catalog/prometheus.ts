import { join } from 'node:path';
import * as z from 'zod/mini';
import { stringify } from 'yaml';
import { listenAddress } from '../config/listen.js';
import { port, text } from '../config/zod.js';
import type { AppService } from './app.js';
import { urlHost } from './reach.js';
import type { Kind, NativeKind, ServiceBase } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('prometheus')),
  image: z._default(text(), 'prom/prometheus:latest'),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 9090),
  /** How often it scrapes. */
  scrape_interval: z._default(text('a duration such as 15s').check(z.regex(/^\d+(ms|s|m|h)$/, { error: 'expected a duration such as 15s or 1m' })), '15s'),
});

export type PrometheusService = z.output<typeof schema> & { kind: 'prometheus'; name: string };

/** One scrape job: the apps that expose metrics. */
export interface ScrapeJob {
  job: string;
  /** `host:port` of each target. */
  targets: string[];
  /** Default `/metrics`. */
  metricsPath?: string;
}

export interface PrometheusSettings {
  scrape?: ScrapeJob[];
  interval?: string;
}

/** prometheus.yml: itself, then each job. */
function prometheusConfig(self: string, scrape: ScrapeJob[], interval = '15s'): string {
  const jobs = [{ job: 'prometheus', targets: [self] }, ...scrape].map((j: ScrapeJob) => ({
    job_name: j.job,
    ...(j.metricsPath ? { metrics_path: j.metricsPath } : {}),
    static_configs: [{ targets: j.targets }],
  }));
  return stringify({ global: { scrape_interval: interval }, scrape_configs: jobs });
}

/** Prometheus with its TSDB in `dir`, scraping itself and the given jobs. */
export const prometheusLaunch: NativeKind<'web', PrometheusSettings> = {
  kind: 'prometheus',
  ports: ['web'],
  account: 'prometheus',
  launch({ dir, host, ports, scrape = [], interval }) {
    const conf = join(dir, 'prometheus.yml');
    return {
      program: { candidates: ['prometheus', '/usr/bin/prometheus', '/opt/homebrew/bin/prometheus', '/usr/local/bin/prometheus'] },
      args: [`--config.file=${conf}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${host}:${ports.web}`],
      env: {},
      dirs: [join(dir, 'data')],
      files: [{ path: conf, content: prometheusConfig(`${host}:${ports.web}`, scrape, interval) }],
      stopGraceMs: 10_000,
    };
  },
};

/** The project's apps that declare a metrics path, each a job, reached at `where`. */
function appJobs(services: readonly ServiceBase[], where: (app: AppService) => string | undefined): ScrapeJob[] {
  return services
    .filter((s): s is AppService => s.kind === 'app')
    .flatMap((app) => {
      const target = app.metrics && app.port !== undefined ? where(app) : undefined;
      return target ? [{ job: app.name, targets: [target], metricsPath: app.metrics }] : [];
    });
}

/** Prometheus, scraping the project's apps that declare `metrics:` (a path on their port). */
export const prometheus: Kind<PrometheusService> = {
  name: 'prometheus',
  title: 'Prometheus',
  schema,
  ports: (svc) => [{ key: 'port', name: 'web', port: svc.port, container: 9090 }],
  secrets: [],
  url: (_svc, at) => `http://${at.host}:${at.port('web')}`,
  exports: (svc, at) => ({ PROMETHEUS_URL: prometheus.url(svc, at)! }),
  probe: (svc) => ({ protocol: 'http', url: `http://${urlHost(svc.host)}:${svc.port}/-/ready` }),
  native: {
    launch: prometheusLaunch,
    ports: (svc) => ({ web: svc.port }),
    settings: (svc, ctx) => ({
      interval: svc.scrape_interval,
      scrape: appJobs(ctx.services, (app) => `${urlHost(listenAddress(app.host))}:${app.port}`),
    }),
    install: { system: { apt: ['prometheus'], dnf: ['golang-github-prometheus'], brew: ['prometheus'] } },
    processNames: ['prometheus'],
  },
  container: (svc, project) => ({
    image: svc.image,
    env: {},
    // Where the official image reads its configuration; its command stays the image's own.
    files: [
      {
        path: '/etc/prometheus/prometheus.yml',
        // Apps in containers, by service name: those tm runs elsewhere are not reachable from here.
        content: prometheusConfig(
          'localhost:9090',
          appJobs(project.services, (app) => (app.image || app.build ? `${app.name}:${app.port}` : undefined)),
          svc.scrape_interval,
        ),
      },
    ],
    volume: '/prometheus',
    check: { http: '/-/ready' },
    storage: '2Gi',
    resources: { cpu: '100m', memory: '256Mi' },
  }),
  web: (svc) => `http://localhost:${svc.port}/`,
};
