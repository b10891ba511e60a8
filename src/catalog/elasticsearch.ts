import * as z from 'zod/mini';
import { port, text } from '../config/zod.js';
import { urlHost } from './reach.js';
import { type Kind, secret } from './types.js';

// Elasticsearch (and OpenSearch, opensearch.ts): one node (discovery.type=single-node), plain HTTP on 9200,
// ready once _cluster/health is at least yellow. Neither has a package tm runs natively.

export const heap = text('a heap size such as 512m').check(z.regex(/^\d+[kmg]$/i, { error: 'expected a heap size such as 512m or 1g' }));

const esSchema = z.strictObject({
  kind: z.optional(z.literal('elasticsearch')),
  image: z._default(text(), 'elasticsearch:8.15.3'),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 9200),
  /** The `elastic` user's password: security (a login) is on only when it is set. */
  password: z.optional(text()),
  /** The JVM's heap (-Xms and -Xmx). */
  heap: z._default(heap, '512m'),
});

export type ElasticsearchService = z.output<typeof esSchema> & { kind: 'elasticsearch'; name: string };

export const NO_PACKAGE = (title: string) => `${title} has no package tm runs here: use the Docker runtime (runtime: docker)`;

/** curl asking for yellow health, its login (if any) read from stdin, never an argument. */
export function healthCheck(login: boolean): string[] {
  const curl = `curl -fsS ${login ? '-K - ' : ''}'http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=1s' >/dev/null`;
  return ['sh', '-c', login ? `printf 'user = "elastic:%s"\\n' "$ELASTIC_PASSWORD" | ${curl}` : curl];
}

export const elasticsearch: Kind<ElasticsearchService> = {
  name: 'elasticsearch',
  title: 'Elasticsearch',
  schema: esSchema,
  ports: (svc) => [{ key: 'port', name: 'http', port: svc.port, container: 9200 }],
  secrets: ['password'],
  url: (svc, at) => `http://${svc.password ? `elastic:${at.urlSecret('password')}@` : ''}${at.host}:${at.port('http')}`,
  exports: (svc, at) => ({ ELASTICSEARCH_URL: elasticsearch.url(svc, at)! }),
  probe: (svc) => ({ protocol: 'cluster-health', host: urlHost(svc.host), port: svc.port, user: svc.password ? 'elastic' : undefined, password: svc.password }),
  native: { refuse: NO_PACKAGE('Elasticsearch') },
  container: (svc) => ({
    image: svc.image,
    env: {
      'discovery.type': 'single-node',
      ES_JAVA_OPTS: `-Xms${svc.heap} -Xmx${svc.heap}`,
      'xpack.security.enabled': svc.password ? 'true' : 'false',
      // Plain HTTP either way: a login does not need the certificates of a production cluster.
      'xpack.security.http.ssl.enabled': 'false',
      ...(svc.password ? { ELASTIC_PASSWORD: secret('password') } : {}),
    },
    volume: '/usr/share/elasticsearch/data',
    check: healthCheck(Boolean(svc.password)),
    checkEvery: 5,
    storage: '5Gi',
    resources: { cpu: '500m', memory: '1Gi' },
  }),
};
