import * as z from 'zod/mini';
import { port, text } from '../config/zod.js';
import { urlHost } from './reach.js';
import { type Kind, secret } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('minio')),
  image: z._default(text(), 'minio/minio:latest'),
  host: z._default(text(), '127.0.0.1'),
  /** The S3 API. */
  port: z._default(port, 9000),
  /** The web console. */
  console_port: z._default(port, 9001),
  /** MINIO_ROOT_USER: the access key. */
  user: z._default(text(), 'minioadmin'),
  /** MINIO_ROOT_PASSWORD: the secret key (MinIO wants 8 characters at least). */
  password: z._default(text().check(z.minLength(8, { error: 'expected at least 8 characters (MinIO refuses a shorter secret key)' })), 'minioadmin'),
});

export type MinioService = z.output<typeof schema> & { kind: 'minio'; name: string };

/**
 * MinIO, S3-compatible storage: its API and console, MINIO_ROOT_USER / MINIO_ROOT_PASSWORD.
 * The apps get what AWS' SDKs read by themselves: the endpoint and the keys.
 */
export const minio: Kind<MinioService> = {
  name: 'minio',
  title: 'MinIO',
  schema,
  ports: (svc) => [
    { key: 'port', name: 's3', port: svc.port, container: 9000 },
    { key: 'console_port', name: 'console', port: svc.console_port, container: 9001 },
  ],
  secrets: ['password'],
  url: (_svc, at) => `http://${at.host}:${at.port('s3')}`,
  exports: (svc, at) => ({ AWS_ENDPOINT_URL_S3: minio.url(svc, at)!, AWS_ACCESS_KEY_ID: svc.user, AWS_SECRET_ACCESS_KEY: at.secret('password') }),
  probe: (svc) => ({ protocol: 'http', url: `http://${urlHost(svc.host)}:${svc.port}/minio/health/ready` }),
  native: { refuse: 'MinIO has no package tm runs here: use the Docker runtime (runtime: docker)' },
  container: (svc) => ({
    image: svc.image,
    command: ['server', '/data', '--console-address', ':9001'],
    env: { MINIO_ROOT_USER: svc.user, MINIO_ROOT_PASSWORD: secret('password') },
    volume: '/data',
    check: { http: '/minio/health/ready' },
    storage: '5Gi',
    resources: { cpu: '100m', memory: '256Mi' },
  }),
  web: (svc) => `http://localhost:${svc.console_port}/`,
};
