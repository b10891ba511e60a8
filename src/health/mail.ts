import { converse, quote, type Conversation, type Endpoint } from './conversation.js';
import { httpProbe } from './probes.js';
import type { Probe } from './wait-for.js';

export interface MailCatcherTarget {
  host: string;
  smtpPort: number;
  /** The web UI's URL that answers 2xx when it serves (asked as a browser asks for a page: MailDev answers 404 otherwise). */
  webUrl: string;
}

/** A mail catcher is ready when its SMTP server greets with 220 and its web UI answers. */
export function mailCatcherProbe(name: string, t: MailCatcherTarget): Probe {
  const web = httpProbe(name, t.webUrl, { accept: 'text/html' });
  const smtp: Endpoint = { host: t.host, port: t.smtpPort };
  return {
    name,
    target: `smtp://${t.host}:${t.smtpPort}`,
    async check(timeoutMs) {
      await Promise.all([converse(smtp, 'the SMTP server', timeoutMs, greeting), web.check(timeoutMs)]);
    },
  };
}

async function greeting(c: Conversation): Promise<void> {
  // The banner may span lines: `220-first`, ..., `220 last`.
  let line = await c.readLine();
  while (/^\d{3}-/.test(line)) line = await c.readLine();
  if (!line.startsWith('220')) throw new Error(`the SMTP server greeted with ${quote(line)}, not 220`);
  c.write('QUIT\r\n');
  await c.readLine().catch(() => {}); // 221, or a hang-up: ready either way
}
