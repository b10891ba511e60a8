import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqProbe } from '../../src/health/amqp.js';
import { AuthFailure } from '../../src/health/auth-failure.js';
import { commandProbe } from '../../src/health/command.js';
import { mailCatcherProbe } from '../../src/health/mail.js';
import { memcachedProbe } from '../../src/health/memcached.js';
import { mysqlProbe } from '../../src/health/mysql.js';
import { natsProbe } from '../../src/health/nats.js';
import { isAuthFailure } from '../../src/health/probes.js';
import { clusterHealthProbe } from '../../src/health/search.js';
import { isAlive } from '../../src/runtime/native/proc.js';
import { kindProbe } from '../helpers/kind-probe.js';
import { freePort } from '../helpers/project.js';

// Elasticsearch, OpenSearch, MinIO and Mailpit cannot run on this machine (no packages, no
// images, no registry): their probes are tested against small local servers that speak the
// documented endpoints. The other kinds' probes meet their real servers in
// kind-probes-native, kind-probes-rabbitmq and kind-probes-docker; here they only meet a
// port that accepts and says nothing, which is what Docker's port proxy is before the
// container listens.

const servers: (Server | HttpServer)[] = [];
const connections = new Set<Socket>();
afterAll(async () => {
  for (const c of connections) c.destroy(); // keep-alive ones too: close() waits for every one
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function listen<S extends Server | HttpServer>(server: S): Promise<number> {
  servers.push(server);
  server.on('connection', (c: Socket) => {
    connections.add(c);
    c.on('close', () => connections.delete(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** An HTTP server answering each path with what `routes` says (default 404). */
async function httpServer(routes: (req: IncomingMessage) => { status: number; body?: unknown } | undefined): Promise<number> {
  return listen(
    createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      const r = routes(req) ?? { status: 404, body: { error: 'not found' } };
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body === undefined ? '' : JSON.stringify(r.body));
    }),
  );
}

describe('elasticsearch / opensearch: _cluster/health (local server speaking the documented endpoint)', () => {
  let status: 'green' | 'yellow' | 'red' = 'green';
  let httpStatus = 200;
  let port: number;
  const auth = `Basic ${Buffer.from('elastic:s3cret').toString('base64')}`;
  beforeAll(async () => {
    port = await httpServer((req) => {
      if (req.url !== '/_cluster/health') return undefined;
      if (req.headers.authorization !== auth) return { status: 401, body: { error: { type: 'security_exception' } } };
      if (httpStatus === 503) return { status: 503, body: { error: { type: 'master_not_discovered_exception' }, status: 503 } };
      return { status: 200, body: { cluster_name: 'docker-cluster', status, number_of_nodes: 1 } };
    });
  });

  it('is ready on green and yellow, not on red, naming the status', async () => {
    const probe = clusterHealthProbe('search', { host: '127.0.0.1', port, user: 'elastic', password: 's3cret' });
    expect(probe.target).toBe(`http://elastic@127.0.0.1:${port}/_cluster/health`);
    status = 'green';
    await expect(probe.check(1000)).resolves.toBeUndefined();
    status = 'yellow';
    await expect(probe.check(1000)).resolves.toBeUndefined();
    status = 'red';
    await expect(probe.check(1000)).rejects.toThrow('cluster health is red (at least yellow is ready)');
  });

  it('is not ready before a master is elected (503), naming the error type', async () => {
    httpStatus = 503;
    try {
      await expect(clusterHealthProbe('search', { host: '127.0.0.1', port, user: 'elastic', password: 's3cret' }).check(1000)).rejects.toThrow(
        /HTTP 503 .*\(master_not_discovered_exception\)/,
      );
    } finally {
      httpStatus = 200;
    }
  });

  it('a refused password is an auth failure, and the password is in no target or message', async () => {
    status = 'green';
    const probe = clusterHealthProbe('search', { host: '127.0.0.1', port, user: 'elastic', password: 'wrong-pw' });
    const err = await probe.check(1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthFailure);
    expect(isAuthFailure(err)).toBe(true);
    expect(`${probe.target} ${(err as Error).message}`).not.toContain('wrong-pw');
  });

  it('fails on a closed port', async () => {
    await expect(clusterHealthProbe('search', { host: '127.0.0.1', port: await freePort() }).check(1000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('minio: /minio/health/ready (local server speaking the documented endpoint)', () => {
  it('is ready on 200 and not on 503', async () => {
    let ready = false;
    const port = await httpServer((req) => (req.url === '/minio/health/ready' ? { status: ready ? 200 : 503 } : undefined));
    const probe = kindProbe('minio', { port }, 's3');
    expect(probe.target).toBe(`http://127.0.0.1:${port}/minio/health/ready`);
    await expect(probe.check(1000)).rejects.toThrow(/HTTP 503/);
    ready = true;
    await expect(probe.check(1000)).resolves.toBeUndefined();
  });
});

describe('mailpit: SMTP banner and /readyz (local SMTP and HTTP servers speaking the documented protocol)', () => {
  let smtpPort: number;
  let webPort: number;
  let banner = '220 mailpit ESMTP Service Ready';
  let webReady = true;
  beforeAll(async () => {
    smtpPort = await listen(
      createServer((socket) => {
        socket.write(banner.includes('\n') ? banner : `${banner}\r\n`);
        socket.on('data', (d) => {
          if (d.toString().startsWith('QUIT')) socket.end('221 2.0.0 Bye\r\n');
        });
        socket.on('error', () => {});
      }),
    );
    webPort = await httpServer((req) => (req.url === '/readyz' ? { status: webReady ? 200 : 503 } : undefined));
  });
  const probe = () => mailCatcherProbe('mail', { host: '127.0.0.1', smtpPort, webUrl: `http://127.0.0.1:${webPort}/readyz` });

  it('is ready with a 220 banner (one line or several) and a web UI answering 200', async () => {
    expect(probe().target).toBe(`smtp://127.0.0.1:${smtpPort}`);
    await expect(probe().check(1000)).resolves.toBeUndefined();
    banner = '220-mailpit first line\r\n220 ready\r\n';
    await expect(probe().check(1000)).resolves.toBeUndefined();
  });

  it('is not ready when SMTP greets with another code, or the web UI answers 503', async () => {
    banner = '554 5.3.2 not accepting mail now';
    await expect(probe().check(1000)).rejects.toThrow(/greeted with "554 5.3.2 not accepting mail now", not 220/);
    banner = '220 mailpit ESMTP Service Ready';
    webReady = false;
    await expect(probe().check(1000)).rejects.toThrow(/HTTP 503/);
    webReady = true;
  });

  it('is not ready when the SMTP port is closed', async () => {
    const closed = mailCatcherProbe('mail', { host: '127.0.0.1', smtpPort: await freePort(), webUrl: `http://127.0.0.1:${webPort}/readyz` });
    await expect(closed.check(1000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('a port that accepts and stays silent (Docker proxy before the container listens) is not ready', () => {
  let port: number;
  let webUrl: string;
  const open = new Set<Socket>();
  beforeAll(async () => {
    webUrl = `http://127.0.0.1:${await httpServer(() => ({ status: 200 }))}/`;
    port = await listen(
      createServer((s) => {
        s.resume(); // reads what the probe sends, so it sees the probe hang up
        open.add(s);
        s.on('close', () => open.delete(s));
        s.on('error', () => {});
      }),
    );
  });
  afterEach(() => {
    for (const s of open) s.destroy();
  });

  const target = () => ({ host: '127.0.0.1', port });
  const probes = {
    amqp: () => rabbitmqProbe('mq', { ...target(), user: 'u', password: 'p', vhost: '/' }),
    mysql: () => mysqlProbe('db', { ...target(), user: 'u', password: 'p', database: 'd' }),
    memcached: () => memcachedProbe('cache', target()),
    nats: () => natsProbe('nats', target()),
    smtp: () => mailCatcherProbe('mail', { host: '127.0.0.1', smtpPort: port, webUrl }),
  };

  for (const [kind, make] of Object.entries(probes)) {
    it(`${kind}: the attempt ends at its timeout and closes its connection`, async () => {
      const t0 = performance.now();
      await expect(make().check(300)).rejects.toThrow(/in time|timed out/);
      expect(performance.now() - t0).toBeLessThan(2000);
      // The server sees the probe's connection closed.
      for (let i = 0; i < 100 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(open.size).toBe(0);
    });
  }
});

describe('a server that speaks something else is not ready, with what it said', () => {
  it('amqp, memcached and nats against an HTTP server', async () => {
    const port = await httpServer(() => ({ status: 200 }));
    // An HTTP server waits for a request: each probe gets an HTTP 400 or a hang-up back.
    const t = { host: '127.0.0.1', port };
    await expect(rabbitmqProbe('mq', { ...t, user: 'u', password: 'p', vhost: '/' }).check(1000)).rejects.toThrow(/not an AMQP server \(it answered "HTTP\/1/);
    await expect(memcachedProbe('cache', t).check(1000)).rejects.toThrow(/memcached answered "HTTP\/1.1 400/);
  });

  it('nats against a server that does not greet with INFO', async () => {
    const port = await listen(createServer((s) => s.end('+OK hello\r\n')));
    await expect(natsProbe('nats', { host: '127.0.0.1', port }).check(1000)).rejects.toThrow(/not a NATS server \(it sent "\+OK hello"\)/);
  });

  it('amqp against a server of another AMQP version names the version it speaks', async () => {
    const port = await listen(createServer((s) => s.end(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'))));
    await expect(rabbitmqProbe('mq', { host: '127.0.0.1', port, user: 'u', password: 'p', vhost: '/' }).check(1000)).rejects.toThrow(
      'the server speaks AMQP 1-0-0, not 0-9-1',
    );
  });
});

describe('generic: tcp, http or a command run without a shell', () => {
  it('a command is ready on exit 0 and not on another code, quoting its stderr', async () => {
    await expect(kindProbe('generic', { image: 'x', health: { command: ['node', '-e', 'process.exit(0)'] } }, 'job').check(5000)).resolves.toBeUndefined();
    await expect(
      kindProbe('generic', { image: 'x', health: { command: ['node', '-e', 'console.error("not yet: warming up"); process.exit(3)'] } }, 'job').check(5000),
    ).rejects.toThrow('node exited with code 3: not yet: warming up');
  });

  it('a command line is split without a shell, and shell syntax is refused', () => {
    expect(commandProbe('job', { command: 'pg_isready -h "127.0.0.1" -p 5432' }).target).toBe('command pg_isready -h 127.0.0.1 -p 5432');
    expect(() => commandProbe('job', { command: 'curl -f http://x/ || exit 1' })).toThrow(/shell syntax/);
  });

  it('a password in a URL argument is masked in the target', () => {
    expect(commandProbe('job', { command: ['psql', 'postgres://app:hunter2@db/app', '-c', 'select 1'] }).target).toBe(
      'command psql postgres://app:****@db/app -c select 1',
    );
  });

  it('a missing program is not ready, with the reason', async () => {
    await expect(kindProbe('generic', { image: 'x', health: { command: ['tm-no-such-program-here'] } }, 'job').check(1000)).rejects.toThrow(
      'cannot run tm-no-such-program-here: ENOENT',
    );
  });

  it('a command still running at the timeout is killed with what it started', async () => {
    // The command starts a grandchild, writes both PIDs to a file, and both sleep.
    const dir = await mkdtemp(join(tmpdir(), 'tm-command-probe-'));
    const pids = join(dir, 'pids');
    const script = `const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pids)}, process.pid + ' ' + c.pid);
      setTimeout(() => {}, 60000);`;
    try {
      const t0 = performance.now();
      await expect(kindProbe('generic', { image: 'x', health: { command: ['node', '-e', script] } }, 'job').check(1500)).rejects.toThrow(
        'node timed out after 1500 ms',
      );
      expect(performance.now() - t0).toBeLessThan(3000);
      const started = (await readFile(pids, 'utf8')).split(' ').map(Number);
      expect(started).toHaveLength(2);
      for (let i = 0; i < 100 && (await Promise.all(started.map(isAlive))).some(Boolean); i++) await new Promise((r) => setTimeout(r, 10));
      expect(await Promise.all(started.map(isAlive))).toEqual([false, false]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tcp and http dispatch to the existing probes', async () => {
    const port = await httpServer(() => ({ status: 204 }));
    await expect(kindProbe('generic', { image: 'x', health: `http://127.0.0.1:${port}/` }, 'web').check(1000)).resolves.toBeUndefined();
    expect(kindProbe('generic', { image: 'x', port, health: 'tcp' }, 'web').target).toBe(`tcp 127.0.0.1:${port}`);
    await expect(kindProbe('generic', { image: 'x', port: await freePort() }, 'web').check(1000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
