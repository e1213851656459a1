import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** An address a webhook may be sent to, checked once and then connected to (pinned). */
export interface VettedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has, as dns.lookup({ all: true }) does. */
export type HostLookup = (host: string) => Promise<VettedAddress[]>;

export const systemLookup: HostLookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Why a webhook target is refused; the message names the address, never a secret. */
export class ForbiddenTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenTargetError';
  }
}

/** ipaddr.js's range names as an operator reads them. */
const RANGE_NAMES: Record<string, string> = {
  linkLocal: 'link-local (cloud metadata lives here)',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade NAT',
  ipv4Mapped: 'IPv4-mapped',
};

/**
 * The range an address is refused for (`loopback`, `private`, `linkLocal`, ...), or null when it
 * is an ordinary public unicast address. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the
 * IPv4 address it carries; every special range ipaddr.js knows is refused, not only the private.
 */
export function forbiddenRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  return range === 'unicast' ? null : range;
}

/**
 * Checks a webhook URL: http or https, and every address its host resolves to is public unless
 * `allowPrivate`. Returns the address to connect to, so the request goes where the check looked
 * (a DNS answer that changes between the check and the connection cannot redirect it).
 */
export async function vetTarget(
  url: string,
  allowPrivate: boolean,
  lookup: HostLookup = systemLookup,
): Promise<VettedAddress> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ForbiddenTargetError('must be an absolute http:// or https:// URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ForbiddenTargetError('must be an absolute http:// or https:// URL');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: VettedAddress[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }];
  } else {
    try {
      addresses = await lookup(host);
    } catch {
      throw new ForbiddenTargetError(`the host ${host} does not resolve`);
    }
    if (!addresses.length) throw new ForbiddenTargetError(`the host ${host} does not resolve`);
  }
  if (!allowPrivate) {
    // Every answer must be public: a name with one private address among public ones could be
    // answered with the private one on the connection.
    for (const { address } of addresses) {
      const range = forbiddenRange(address);
      if (range) {
        const where = address === host ? host : `${host} resolves to ${address}, which`;
        throw new ForbiddenTargetError(
          `${where} is a ${RANGE_NAMES[range] ?? range} address; webhooks go only to public ` +
            'addresses unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true',
        );
      }
    }
  }
  return addresses[0];
}
