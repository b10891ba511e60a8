import { AuthFailure } from './auth-failure.js';
import { converse, type Conversation } from './conversation.js';
import { httpProbe } from './probes.js';
import type { Probe } from './wait-for.js';

// AMQP 0-9-1 (RabbitMQ), as far as a readiness probe goes: protocol header, Connection.Start,
// a PLAIN login, Tune, Connection.Open of the virtual host, and a polite Connection.Close (an
// abrupt hang-up would put a warning in the broker's log at every attempt). RabbitMQ opens its
// AMQP listener last in its boot, so Connection.Start already means "booted"; the login and
// Open prove the credentials and the virtual host. Frames: type, channel, size, payload, 0xCE.

export interface AmqpTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The virtual host; RabbitMQ's default is `/`. */
  vhost: string;
  /** The management plugin's HTTP port: when set, its UI must answer too. */
  managementPort?: number;
}

const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
const FRAME_METHOD = 1;
const FRAME_HEARTBEAT = 8;
const FRAME_END = 0xce;
/** Connection class (10) methods. */
const M = { start: 10, startOk: 11, secure: 20, tune: 30, tuneOk: 31, open: 40, openOk: 41, close: 50, closeOk: 51 } as const;
/** Reply codes of Connection.Close that mean "these credentials will not do". */
const REFUSED = new Set([403 /* ACCESS_REFUSED */, 530 /* NOT_ALLOWED: no such vhost, or no access to it */]);

/** RabbitMQ is ready when a login reaches Connection.Open-Ok on the virtual host. */
export function rabbitmqProbe(name: string, t: AmqpTarget): Probe {
  const ui = t.managementPort === undefined ? undefined : httpProbe(name, `http://${t.host}:${t.managementPort}/`);
  return {
    name,
    target: `amqp://${t.user}@${t.host}:${t.port}/${encodeURIComponent(t.vhost)}`,
    async check(timeoutMs) {
      await Promise.all([converse(t, 'the AMQP server', timeoutMs, (c) => handshake(c, t)), ui?.check(timeoutMs)]);
    },
  };
}

async function handshake(c: Conversation, t: AmqpTarget): Promise<void> {
  c.write(PROTOCOL_HEADER);
  const start = await receive(c, M.start, 'Connection.Start');
  const mechanisms = readStart(start);
  if (!mechanisms.includes('PLAIN')) throw new Error(`the AMQP server offers no PLAIN login (only ${mechanisms.join(', ')})`);
  c.write(
    method(M.startOk, [
      table({ product: 'taskmaster', capabilities: { authentication_failure_close: true } }),
      shortstr('PLAIN'),
      longstr(`\0${t.user}\0${t.password}`),
      shortstr('en_US'),
    ]),
  );
  const tune = await receive(c, M.tune, 'Connection.Tune');
  // Echo the server's limits; no heartbeats for a connection that lives a few milliseconds.
  c.write(method(M.tuneOk, [tune.subarray(0, 6), u16(0)]));
  c.write(method(M.open, [shortstr(t.vhost), shortstr(''), Buffer.from([0])]));
  await receive(c, M.openOk, 'Connection.Open-Ok');
  c.write(method(M.close, [u16(200), shortstr('tm health'), u16(0), u16(0)]));
  await receive(c, M.closeOk, 'Connection.Close-Ok').catch(() => {}); // ready either way
}

/** Reads the next method frame; Connection.Close from the server becomes the error it names. */
async function receive(c: Conversation, want: number, what: string): Promise<Buffer> {
  const { classId, methodId, args } = await readMethod(c);
  if (classId === 10 && methodId === M.close) {
    c.write(method(M.closeOk, []));
    const code = args.readUInt16BE(0);
    const text = args.toString('utf8', 3, 3 + args[2]!);
    const message = `the AMQP server closed the connection: ${code} ${text}`;
    throw REFUSED.has(code) ? new AuthFailure(message) : new Error(message);
  }
  if (classId !== 10 || methodId !== want) throw new Error(`the AMQP server sent method ${classId}.${methodId}, expected ${what}`);
  return args;
}

async function readMethod(c: Conversation): Promise<{ classId: number; methodId: number; args: Buffer }> {
  for (;;) {
    const head = await c.readBytes(7);
    if (head.toString('latin1', 0, 4) === 'AMQP') {
      // A server that does not speak 0-9-1 answers with the header of the version it does.
      const rest = await c.readBytes(1);
      throw new Error(`the server speaks AMQP ${head[5]}-${head[6]}-${rest[0]}, not 0-9-1`);
    }
    const type = head[0]!;
    const size = head.readUInt32BE(3);
    if ((type !== FRAME_METHOD && type !== FRAME_HEARTBEAT) || size > 1 << 20) {
      throw new Error(`not an AMQP server (it answered ${JSON.stringify(head.toString('latin1').replace(/[^\x20-\x7e]/g, '.'))})`);
    }
    const body = await c.readBytes(size + 1);
    if (body[size] !== FRAME_END) throw new Error('malformed AMQP frame (no frame end)');
    if (type === FRAME_HEARTBEAT) continue;
    return { classId: body.readUInt16BE(0), methodId: body.readUInt16BE(2), args: body.subarray(4, size) };
  }
}

/** The login mechanisms offered by Connection.Start (after versions and server properties). */
function readStart(args: Buffer): string[] {
  const propsEnd = 2 + 4 + args.readUInt32BE(2);
  const len = args.readUInt32BE(propsEnd);
  return args.toString('utf8', propsEnd + 4, propsEnd + 4 + len).split(' ');
}

function method(methodId: number, args: Buffer[]): Buffer {
  const payload = Buffer.concat([u16(10), u16(methodId), ...args]);
  const head = Buffer.alloc(7);
  head.writeUInt8(FRAME_METHOD, 0);
  head.writeUInt16BE(0, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function shortstr(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > 255) throw new Error(`AMQP short string too long (${bytes.length} bytes)`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function longstr(s: string): Buffer {
  return sized(Buffer.from(s, 'utf8'));
}

/** `bytes` after their length as 32 bits (long strings, field tables). */
function sized(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** A field table of strings (`S`), booleans (`t`) and nested tables (`F`). */
type Table = { [key: string]: string | boolean | Table };
function table(t: Table): Buffer {
  const fields = Object.entries(t).map(([k, v]) => {
    const value =
      typeof v === 'string'
        ? Buffer.concat([Buffer.from('S'), longstr(v)])
        : typeof v === 'boolean'
          ? Buffer.from([0x74 /* t */, v ? 1 : 0])
          : Buffer.concat([Buffer.from('F'), table(v)]);
    return Buffer.concat([shortstr(k), value]);
  });
  return sized(Buffer.concat(fields));
}
