import { BlockList } from 'node:net';

// Addresses that have no geography: RFC 6890 special-purpose ranges and friends.
const RANGES: Array<[label: string, cidr: string]> = [
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['shared (CGNAT)', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['reserved (IETF)', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['private', '192.168.0.0/16'],
  ['benchmarking', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '240.0.0.0/4'],
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['discard', '100::/64'],
  ['documentation', '2001:db8::/32'],
  ['unique local (private)', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['multicast', 'ff00::/8'],
];

/** IPv4 ranges as [first, last, label] numbers, checked with two comparisons each. */
const V4: Array<[number, number, string]> = RANGES.filter(([, cidr]) => !cidr.includes(':')).map(([label, cidr]) => {
  const [net, prefix] = cidr.split('/');
  const base = net!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(prefix));
  return [base, base + size - 1, label];
});

/** First octets that any special IPv4 range covers: most public addresses skip the scan at once. */
const V4_FIRST_OCTETS = (() => {
  const flags = new Uint8Array(256);
  for (const [first, last] of V4) for (let o = Math.floor(first / 2 ** 24); o <= Math.floor(last / 2 ** 24); o++) flags[o] = 1;
  return flags;
})();

interface Classified {
  label: string;
  list: BlockList;
  cidrs: string[];
}

const LISTS: Classified[] = (() => {
  const byLabel = new Map<string, Classified>();
  for (const [label, cidr] of RANGES) {
    const entry = byLabel.get(label) ?? { label, list: new BlockList(), cidrs: [] };
    const [net, prefix] = cidr.split('/');
    entry.list.addSubnet(net!, Number(prefix), net!.includes(':') ? 'ipv6' : 'ipv4');
    entry.cidrs.push(cidr);
    byLabel.set(label, entry);
  }
  return [...byLabel.values()];
})();

const ANY = new BlockList();
for (const [, cidr] of RANGES) {
  const [net, prefix] = cidr.split('/');
  ANY.addSubnet(net!, Number(prefix), net!.includes(':') ? 'ipv6' : 'ipv4');
}

/**
 * Names the special-purpose range an address is in (`private`, `loopback`,
 * `link-local`, `documentation` ...), or undefined for a public address.
 */
export function specialRange(address: string, version: 4 | 6, v4?: number): string | undefined {
  if (version === 4 && v4 !== undefined) {
    if (V4_FIRST_OCTETS[Math.floor(v4 / 2 ** 24)] === 0) return undefined;
    for (const [first, last, label] of V4) if (v4 >= first && v4 <= last) return label;
    return undefined;
  }
  const type = version === 4 ? 'ipv4' : 'ipv6';
  if (!ANY.check(address, type)) return undefined;
  return LISTS.find((c) => c.list.check(address, type))?.label;
}
