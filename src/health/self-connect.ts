import type { Socket } from 'node:net';

/**
 * A connection to a port nobody listens on can meet itself: when the kernel picks that same
 * port as the source (it is in Linux's ephemeral range, 32768-60999), TCP's simultaneous open
 * connects the socket to itself, and a probe would call the port "listening". Closed normally,
 * that connection then sits in TIME-WAIT on the port for a minute, and tm up calls the port
 * taken. Such a socket is reset (no TIME-WAIT) and reported as refused.
 */
export function refuseSelfConnection(socket: Socket): Error | undefined {
  if (socket.localPort !== socket.remotePort || socket.localAddress !== socket.remoteAddress) return undefined;
  const port = socket.remotePort;
  socket.resetAndDestroy();
  const err = new Error(`connect ECONNREFUSED ${socket.remoteAddress ?? ''}:${port} (the connection met itself: nothing listens there)`);
  return Object.assign(err, { code: 'ECONNREFUSED' });
}
