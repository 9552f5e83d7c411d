import { ArmError } from './arm-error.js';

/** An IPv4 prefix as an inclusive numeric range. */
export interface Ipv4Range {
  prefix: string;
  first: number;
  last: number;
}

/** Parses `a.b.c.d/n`; a malformed prefix or one with host bits set is Azure's 400 `InvalidCIDRNotation`. */
export function parsePrefix(prefix: unknown, resourceId: string): Ipv4Range {
  const match = typeof prefix === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(prefix) : null;
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const bits = match ? Number(match[5]) : NaN;
  if (!match || octets.some((o) => o > 255) || bits > 32) {
    throw new ArmError(400, 'InvalidAddressPrefixFormat', `Address prefix ${String(prefix)} of resource ${resourceId} is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  if (base % size !== 0) {
    throw new ArmError(400, 'InvalidCIDRNotation', `The address prefix ${prefix} in resource ${resourceId} has an invalid CIDR notation. For the given prefix length, the address prefix should be ${formatIp(base - (base % size))}/${bits}.`);
  }
  return { prefix: prefix as string, first: base, last: base + size - 1 };
}

export function formatIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export const overlaps = (a: Ipv4Range, b: Ipv4Range): boolean => a.first <= b.last && b.first <= a.last;

export const contains = (outer: Ipv4Range, inner: Ipv4Range): boolean => outer.first <= inner.first && inner.last <= outer.last;

/** The first pair of overlapping prefixes between two lists, if any. */
export function firstOverlap(a: Ipv4Range[], b: Ipv4Range[]): [Ipv4Range, Ipv4Range] | undefined {
  for (const x of a) for (const y of b) if (overlaps(x, y)) return [x, y];
  return undefined;
}
