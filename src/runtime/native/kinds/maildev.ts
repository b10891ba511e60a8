import { join } from 'node:path';
import type { NativeKind } from './types.js';

/**
 * A mail catcher from npm's `maildev` (Mailpit has no Debian package): SMTP and the web UI on
 * `host`, mails kept in `dir`. Its readiness URL is `/api/healthz` on the web port.
 */
export const maildev: NativeKind<'smtp' | 'web'> = {
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
