import { BlockList, isIP } from 'node:net';
import { invalidConfig, type ConfigIssue } from '../config/parse-options.js';

/**
 * The proxies whose `X-Forwarded-For` is believed: addresses and CIDR ranges,
 * IPv4 or IPv6. Anything else in the list is refused when the list is built.
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #size: number;

  private constructor(size: number) {
    this.#size = size;
  }

  /** Parses `entries` (`10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`); INVALID_CONFIG naming each bad entry. */
  static parse(entries: readonly string[], where = 'trustedProxies'): TrustedProxies {
    const issues: ConfigIssue[] = [];
    const parsed: Array<{ address: string; prefix: number | undefined; family: 'ipv4' | 'ipv6' }> = [];
    for (const [index, entry] of entries.entries()) {
      const problem = typeof entry !== 'string' ? 'must be a string' : undefined;
      const [address = '', prefixText, extra] = typeof entry === 'string' ? entry.trim().split('/') : [];
      const version = isIP(address);
      const max = version === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? undefined : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
      if (problem || version === 0 || extra !== undefined || (prefix !== undefined && !(prefix >= 0 && prefix <= max))) {
        issues.push({
          path: `${where}[${index}]`,
          message: problem ?? 'must be an IPv4 or IPv6 address, or a CIDR range such as 10.0.0.0/8 or fd00::/8',
          value: JSON.stringify(entry),
        });
        continue;
      }
      parsed.push({ address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' });
    }
    if (issues.length > 0) throw invalidConfig(where, issues);
    const proxies = new TrustedProxies(parsed.length);
    for (const { address, prefix, family } of parsed) {
      if (prefix === undefined) proxies.#list.addAddress(address, family);
      else proxies.#list.addSubnet(address, prefix, family);
    }
    return proxies;
  }

  /** Whether `address` is one of the trusted proxies (IPv4-mapped IPv6 is checked as IPv4). */
  has(address: string): boolean {
    if (this.#size === 0) return false;
    const plain = unmapIPv4(address);
    const version = isIP(plain);
    if (version === 0) return false;
    return this.#list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client's address: the socket peer's, unless the peer is a trusted proxy;
   * then `X-Forwarded-For` is walked from the right (the hop the trusted proxy
   * itself added) past further trusted proxies, and the first untrusted hop is
   * the client. Hops to its left were written by the client and could say
   * anything, so they are never believed. A malformed hop ends the walk at the
   * last address that was trusted.
   */
  clientAddress(peer: string, forwardedFor: string | readonly string[] | undefined): string {
    const peerAddress = unmapIPv4(peer);
    if (!this.has(peerAddress) || forwardedFor === undefined) return peerAddress;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor as string)).split(',');
    let client = peerAddress;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmapIPv4(stripPort(hops[i]!.trim()));
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.has(hop)) return hop;
    }
    return client;
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4`: sockets report IPv4 peers that way on dual-stack listeners. */
export function unmapIPv4(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  return address;
}

// Some proxies write `1.2.3.4:5678` or `[::1]:80`.
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end > 0 ? hop.slice(1, end) : hop;
  }
  const colon = hop.indexOf(':');
  if (colon > 0 && colon === hop.lastIndexOf(':') && isIP(hop.slice(0, colon)) === 4) return hop.slice(0, colon);
  return hop;
}
