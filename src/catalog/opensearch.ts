import * as z from 'zod/mini';
import { port, text } from '../config/zod.js';
import { heap, healthCheck, NO_PACKAGE } from './elasticsearch.js';
import { urlHost } from './reach.js';
import type { Kind } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('opensearch')),
  image: z._default(text(), 'opensearchproject/opensearch:2'),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 9200),
  /** The JVM's heap (-Xms and -Xmx). */
  heap: z._default(heap, '512m'),
});

export type OpensearchService = z.output<typeof schema> & { kind: 'opensearch'; name: string };

/** OpenSearch, one node, for local development: without its security plugin (plain HTTP, no login). */
export const opensearch: Kind<OpensearchService> = {
  name: 'opensearch',
  title: 'OpenSearch',
  schema,
  ports: (svc) => [{ key: 'port', name: 'http', port: svc.port, container: 9200 }],
  secrets: [],
  url: (_svc, at) => `http://${at.host}:${at.port('http')}`,
  exports: (svc, at) => ({ OPENSEARCH_URL: opensearch.url(svc, at)! }),
  probe: (svc) => ({ protocol: 'cluster-health', host: urlHost(svc.host), port: svc.port }),
  native: { refuse: NO_PACKAGE('OpenSearch') },
  container: (svc) => ({
    image: svc.image,
    env: {
      'discovery.type': 'single-node',
      OPENSEARCH_JAVA_OPTS: `-Xms${svc.heap} -Xmx${svc.heap}`,
      // For local development: no security plugin, so plain HTTP without a login.
      DISABLE_SECURITY_PLUGIN: 'true',
      DISABLE_INSTALL_DEMO_CONFIG: 'true',
    },
    volume: '/usr/share/opensearch/data',
    check: healthCheck(false),
    checkEvery: 5,
    storage: '5Gi',
    resources: { cpu: '500m', memory: '1Gi' },
  }),
};
