import { join } from 'node:path';
import * as z from 'zod/mini';
import { port, text } from '../config/zod.js';
import { urlHost } from './reach.js';
import type { Kind, NativeKind } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('mailpit')),
  image: z._default(text(), 'axllent/mailpit:latest'),
  host: z._default(text(), '127.0.0.1'),
  /** SMTP: where the apps send mail. */
  port: z._default(port, 1025),
  /** The web UI where the mail is read. */
  web_port: z._default(port, 8025),
});

export type MailpitService = z.output<typeof schema> & { kind: 'mailpit'; name: string };

/**
 * A mail catcher from npm's `maildev` (Mailpit has no Debian package): SMTP and the web UI on
 * `host`, mails kept in `dir`. Its readiness URL is `/api/healthz` on the web port.
 */
export const maildevLaunch: NativeKind<'smtp' | 'web'> = {
  kind: 'maildev',
  ports: ['smtp', 'web'],
  launch({ dir, host, ports }) {
    return {
      program: { candidates: ['maildev'], npm: { package: 'maildev', bin: 'maildev' } },
      args: ['--smtp', String(ports.smtp), '--ip', host, '--web', String(ports.web), '--web-ip', host, '--mail-directory', join(dir, 'mail')],
      env: {},
      dirs: [join(dir, 'mail')],
      files: [],
      stopGraceMs: 5000,
    };
  },
};

/** MailDev's health endpoint (it answers without the web UI's login). */
export const MAILDEV_HEALTH_PATH = '/api/healthz';

/** The major of npm's maildev that tm installs for the native runtime. */
const MAILDEV_VERSION = '3';

/**
 * A mail catcher: SMTP for the apps, a web UI for people. Mailpit in a container; natively
 * npm's MailDev (the project's own, else one tm installs into its cache). Both serve their UI
 * at `/` on the web port, which the probe asks with the SMTP banner.
 */
export const mailpit: Kind<MailpitService> = {
  name: 'mailpit',
  title: 'mail catcher',
  schema,
  ports: (svc) => [
    { key: 'port', name: 'smtp', port: svc.port, container: 1025 },
    { key: 'web_port', name: 'web', port: svc.web_port, container: 8025 },
  ],
  secrets: [],
  url: (_svc, at) => `smtp://${at.host}:${at.port('smtp')}`,
  exports: (svc, at) => ({ SMTP_URL: mailpit.url(svc, at)! }),
  schemes: { 'smtp:': 25 },
  probe: (svc) => ({ protocol: 'smtp', host: svc.host, smtpPort: svc.port, webUrl: `http://${urlHost(svc.host)}:${svc.web_port}/` }),
  native: {
    launch: maildevLaunch,
    ports: (svc) => ({ smtp: svc.port, web: svc.web_port }),
    settings: () => ({}),
    install: { npm: { package: 'maildev', version: MAILDEV_VERSION } },
    processNames: ['maildev', 'maildev.js'],
  },
  container: (svc) => ({
    image: svc.image,
    env: { MP_DATABASE: '/data/mailpit.db' },
    volume: '/data',
    check: ['/mailpit', 'readyz'],
    checkEvery: 2,
    storage: '1Gi',
    resources: { cpu: '50m', memory: '64Mi' },
  }),
  web: (svc) => `http://localhost:${svc.web_port}/`,
};
