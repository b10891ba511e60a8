import { isIP } from 'node:net';

// One answer, for both runtimes, to "which address does a service listen on": the native
// runtime binds it, the compose file publishes on it. `localhost` and the wildcard addresses
// stay on loopback (tm runs development services; reaching them from the network takes an
// address of this machine's, written out).

/** The address a service's `host` makes it listen on. */
export function listenAddress(host: string): string {
  if (host === 'localhost' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[|\]$/g, '');
}

/** An address only this machine reaches: 127.0.0.0/8 or ::1 (also as ::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || /^(?:0*:)*:?0*1$/.test(a) || /^::ffff:127\./.test(a);
  return false;
}
