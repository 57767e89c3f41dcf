import { lookup } from 'node:dns/promises';
import type { HostResolver, ResolvedAddress } from '../../domain/webhooks/webhook-url.js';

/** The HostResolver port on the system resolver (`getaddrinfo`, as a connection would resolve). */
export class DnsHostResolver implements HostResolver {
  async resolve(hostname: string): Promise<readonly ResolvedAddress[]> {
    const addresses = await lookup(hostname, { all: true, verbatim: true });
    return addresses
      .filter((a) => a.family === 4 || a.family === 6)
      .map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
  }
}
