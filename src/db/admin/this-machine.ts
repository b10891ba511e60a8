import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isLoopbackAddress } from '../../config/listen.js';

// "Is this database on this machine?" guards what tm db reset and restore may drop without
// --force. It is decided by where pg will really connect, never by how the host is spelled:
// `127.attacker.example` starts like a loopback address and is a name like any other.

/** How long a name may take to resolve before it counts as not local (no resolver, no network). */
const LOOKUP_MS = 3000;

/**
 * True when `host` (as pg reads it from the URL, ?host= or PGHOST) is this machine: a Unix
 * socket directory, or a name or address whose every resolved address is loopback or one of
 * this machine's own interfaces. A name that does not resolve is not local.
 */
export async function isOnThisMachine(host: string): Promise<boolean> {
  // pg takes a host that starts with "/" as the directory of a Unix socket: a file here.
  if (host.startsWith('/')) return true;
  const bare = host.replace(/^\[|\]$/g, '');
  const addresses = isIP(bare) ? [bare] : await resolve(bare);
  return addresses.length > 0 && addresses.every(isLocalAddress);
}

async function resolve(name: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((res) => (timer = setTimeout(() => res([]), LOOKUP_MS)));
  try {
    return await Promise.race([
      lookup(name, { all: true }).then(
        (r) => r.map((a) => a.address),
        () => [],
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isLocalAddress(address: string): boolean {
  if (isLoopbackAddress(address)) return true;
  const own = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase()));
  return own.includes(address.toLowerCase().replace(/^::ffff:/, ''));
}
