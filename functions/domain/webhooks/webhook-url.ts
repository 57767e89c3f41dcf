import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../errors.js';

/** Where webhooks may point. */
export interface WebhookUrlPolicy {
  /**
   * The local runtime's allowance (`WEBHOOK_ALLOW_LOOPBACK=true`): `http://` URLs, and hosts that
   * resolve to loopback addresses (127.0.0.0/8, ::1), for trying webhooks on one machine. Private,
   * link-local and metadata addresses stay refused even then.
   */
  readonly allowLoopback: boolean;
}

/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Port: resolves a host name to every address it has (DNS in Lambda and locally). */
export interface HostResolver {
  resolve(hostname: string): Promise<readonly ResolvedAddress[]>;
}

/** Longest URL a webhook may have. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Addresses no webhook may reach (SSRF): loopback, private (RFC 1918, unique local), shared
 * (CGNAT), link-local (which holds the instance metadata service, 169.254.169.254 and
 * fd00:ec2::254), documentation, benchmark, multicast and reserved ranges, and IPv6 forms that
 * embed an IPv4 address (mapped, NAT64, 6to4), which could smuggle any of the former.
 */
const FORBIDDEN_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN_V4.addSubnet(network, prefix, 'ipv4');
}
// One list per family: a BlockList holding ::ffff:0:0/96 matches every IPv4 address checked against it.
const FORBIDDEN_V6 = new BlockList();
for (const [network, prefix] of [
  ['::', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN_V6.addSubnet(network, prefix, 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Why `address` may not be a webhook's, or undefined when it may. */
export function forbiddenAddressReason(
  address: ResolvedAddress,
  policy: WebhookUrlPolicy,
): string | undefined {
  const type = address.family === 4 ? 'ipv4' : 'ipv6';
  if (LOOPBACK.check(address.address, type)) {
    return policy.allowLoopback ? undefined : 'is a loopback address';
  }
  if ((address.family === 4 ? FORBIDDEN_V4 : FORBIDDEN_V6).check(address.address, type)) {
    return 'is a private, link-local, metadata or reserved address';
  }
  return undefined;
}

const refuse = (message: string) => ValidationError.field('url', message);

/**
 * Checks a webhook URL's form: absolute, `https:` (or `http:` where the policy allows loopback),
 * no credentials, at most {@link MAX_WEBHOOK_URL_LENGTH} characters. Where it points is checked by
 * {@link resolveWebhookTarget}.
 * @throws ValidationError naming `url`
 */
export function parseWebhookUrl(raw: string, policy: WebhookUrlPolicy): URL {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH)
    throw refuse(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('must be an absolute URL');
  }
  const schemes = policy.allowLoopback ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw refuse(`must use ${schemes.join(' or ')}`);
  if (url.username || url.password) throw refuse('must not contain credentials');
  if (!url.hostname) throw refuse('must name a host');
  return url;
}

/** `[::1]` → `::1`: the host of a URL as an address or a name to resolve. */
const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves a webhook URL's host and checks every address it has, so a name with one public and
 * one private address is refused too. The caller connects to the returned address (not to a second
 * resolution, which DNS rebinding could change). Called at registration and before every delivery.
 * @throws ValidationError naming `url` when the host does not resolve or an address is forbidden
 */
export async function resolveWebhookTarget(
  url: URL,
  resolver: HostResolver,
  policy: WebhookUrlPolicy,
): Promise<ResolvedAddress> {
  const host = bareHost(url);
  const literal = isIP(host);
  let addresses: readonly ResolvedAddress[];
  if (literal === 4 || literal === 6) {
    addresses = [{ address: host, family: literal }];
  } else {
    try {
      addresses = await resolver.resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) throw refuse(`host ${host} does not resolve`);
  }
  for (const address of addresses) {
    const reason = forbiddenAddressReason(address, policy);
    if (reason) throw refuse(`resolves to ${address.address}, which ${reason}`);
  }
  return addresses[0]!;
}
