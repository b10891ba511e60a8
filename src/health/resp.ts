import { connect } from 'node:net';
import { refuseSelfConnection } from './self-connect.js';

// The few bytes of the Redis protocol (RESP) a readiness probe needs. ioredis is the client
// for real work (tm doctor uses it); loading it costs ~45 ms of CPU, which sat on the critical
// path of every `tm up`, `tm status` and `tm health` between starting Redis and noticing that
// Postgres was ready. A probe sends a few commands and reads simple replies: that is all here.

/** A reply: a simple or bulk string, an integer, or null; an error reply rejects. */
export type Reply = string | number | null;

/** An error reply from the server (`-NOAUTH ...`, `-LOADING ...`), with its first word as code. */
export class RedisReplyError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'RedisReplyError';
    this.code = message.split(' ')[0] ?? 'ERR';
  }
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

/**
 * Parses one reply at `offset` of `buf`: the reply and where the next one starts, or
 * undefined when the buffer does not hold the whole reply yet.
 */
export function parseReply(buf: Buffer, offset = 0): { reply: Reply | RedisReplyError; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, eol);
  switch (type) {
    case '+':
      return { reply: line, next: eol + 2 };
    case '-':
      return { reply: new RedisReplyError(line), next: eol + 2 };
    case ':':
      return { reply: Number(line), next: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { reply: null, next: eol + 2 };
      const start = eol + 2;
      if (buf.length < start + len + 2) return undefined;
      return { reply: buf.toString('utf8', start, start + len), next: start + len + 2 };
    }
    default:
      throw new Error(`unexpected reply from redis (${JSON.stringify(buf.toString('utf8', offset, Math.min(eol, offset + 40)))})`);
  }
}

export interface RespTarget {
  host: string;
  port: number;
}

/**
 * Opens a connection, sends `commands` in one write and resolves with their replies in order.
 * The first error reply rejects (its message is the server's); so do socket errors and the
 * timeout. The connection is closed either way.
 */
export function sendCommands(t: RespTarget, commands: string[][], timeoutMs: number): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: t.host, port: t.port });
    const replies: Reply[] = [];
    let buf: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(replies);
    };
    socket.setNoDelay(true);
    socket.setTimeout(Math.max(1, timeoutMs), () => finish(new Error(`no answer from redis at ${t.host}:${t.port} in time`)));
    socket.once('connect', () => {
      const self = refuseSelfConnection(socket);
      if (self) return finish(self);
      socket.write(Buffer.concat(commands.map(encodeCommand)));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        let offset = 0;
        for (let r = parseReply(buf, offset); r; r = parseReply(buf, offset)) {
          if (r.reply instanceof RedisReplyError) return finish(r.reply);
          replies.push(r.reply);
          offset = r.next;
          if (replies.length === commands.length) return finish();
        }
        buf = buf.subarray(offset);
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error('redis closed the connection')));
  });
}
