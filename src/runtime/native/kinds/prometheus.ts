import { join } from 'node:path';
import { stringify } from 'yaml';
import type { NativeKind } from './types.js';

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
}

/** Prometheus with its TSDB in `dir`, scraping itself and the given jobs. */
export const prometheus: NativeKind<'web', PrometheusSettings> = {
  kind: 'prometheus',
  ports: ['web'],
  account: 'prometheus',
  launch({ dir, host, ports, scrape = [] }) {
    const conf = join(dir, 'prometheus.yml');
    const jobs = [{ job: 'prometheus', targets: [`${host}:${ports.web}`] }, ...scrape].map((j: ScrapeJob) => ({
      job_name: j.job,
      ...(j.metricsPath ? { metrics_path: j.metricsPath } : {}),
      static_configs: [{ targets: j.targets }],
    }));
    return {
      program: { candidates: ['prometheus', '/usr/bin/prometheus', '/opt/homebrew/bin/prometheus', '/usr/local/bin/prometheus'] },
      args: [`--config.file=${conf}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${host}:${ports.web}`],
      env: {},
      dirs: [join(dir, 'data')],
      files: [{ path: conf, content: stringify({ global: { scrape_interval: '15s' }, scrape_configs: jobs }) }],
      stopGraceMs: 10_000,
    };
  },
};
