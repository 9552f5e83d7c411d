import type { ParsedIp } from '../ip/parse-ip.js';

/** How decisions are shared between clients. */
export interface CacheKeyOptions {
  /** `ip`: one entry per address; `prefix`: one per IPv4 /prefixV4 and IPv6 /prefixV6. */
  key: 'ip' | 'prefix';
  /** 8, 16, 24 or 32. */
  prefixV4: number;
  /** A multiple of 16 from 16 to 128. */
  prefixV6: number;
}

/** The part of the cache key that comes from the address. */
export function addressKey(ip: ParsedIp, options: CacheKeyOptions): string {
  if (options.key === 'ip') return ip.address;
  if (ip.version === 4) {
    if (options.prefixV4 === 32) return ip.address;
    const parts = ip.address.split('.');
    return `${parts.slice(0, options.prefixV4 / 8).join('.')}/${options.prefixV4}`;
  }
  return `${expandV6(ip.address).slice(0, options.prefixV6 / 16).join(':')}/${options.prefixV6}`;
}

function expandV6(address: string): string[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return groups.map((g) => (g.includes('.') ? g : g.replace(/^0+(?=.)/, '')));
}
