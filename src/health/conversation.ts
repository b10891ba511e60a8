import { connect, type Socket } from 'node:net';
import { refuseSelfConnection } from './self-connect.js';

// The few request/answer steps a readiness probe has with a text or binary protocol (SMTP,
// memcached, NATS, AMQP): one connection, reads by line or by byte count, every path bounded
// by one timeout and ending with the socket destroyed.

export interface Endpoint {
  host: string;
  port: number;
}

/** One open connection, as a probe's script sees it. */
export interface Conversation {
  write(data: string | Buffer): void;
  /** The next line, without its `\r\n` (or `\n`). */
  readLine(): Promise<string>;
  /** Exactly the next `n` bytes. */
  readBytes(n: number): Promise<Buffer>;
}

/**
 * Connects to `to` and runs `script` on the connection. Rejects with the socket's error
 * (`connect ECONNREFUSED ...`), `<what> closed the connection` when the server hangs up while
 * a read waits, or a timeout after `timeoutMs` in all. The socket is destroyed on every path.
 */
export function converse<T>(to: Endpoint, what: string, timeoutMs: number, script: (c: Conversation) => Promise<T>): Promise<T> {
  const socket = connect({ host: to.host, port: to.port });
  socket.setNoDelay(true);
  const reader = new Reader(socket, what);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${what} at ${to.host}:${to.port} in time`)), Math.max(1, timeoutMs));
  });
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      const self = refuseSelfConnection(socket);
      if (self) reject(self);
      else resolve();
    });
    socket.once('error', reject);
  });
  const run = connected.then(() =>
    script({
      write: (data) => void socket.write(data),
      readLine: () => reader.line(),
      readBytes: (n) => reader.bytes(n),
    }),
  );
  run.catch(() => {}); // a late rejection after the timeout is not "unhandled"
  return Promise.race([run, timeout]).finally(() => {
    clearTimeout(timer);
    socket.destroy();
  });
}

/** A server's line for a message: quoted, at most 80 characters. */
export function quote(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}...` : line);
}

/** Buffers what the server sends and hands it out as the script asks for it. */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private wake?: () => void;
  private ended?: Error;

  constructor(socket: Socket, what: string) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.wake?.();
    });
    const end = (err: Error) => {
      this.ended ??= err;
      this.wake?.();
    };
    // `on`, not `once`: a write after the server hung up errors again.
    socket.on('error', end);
    socket.once('close', () => end(new Error(`${what} closed the connection`)));
  }

  async line(): Promise<string> {
    for (;;) {
      const eol = this.buf.indexOf('\n');
      if (eol >= 0) {
        const line = this.buf.toString('utf8', 0, eol > 0 && this.buf[eol - 1] === 0x0d ? eol - 1 : eol);
        this.buf = this.buf.subarray(eol + 1);
        return line;
      }
      await this.more();
    }
  }

  async bytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) await this.more();
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private async more(): Promise<void> {
    if (this.ended) throw this.ended;
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }
}
