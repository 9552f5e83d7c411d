import { invalidConfig, type ConfigIssue } from '@meridian/core/spi';

interface Range {
  first: number;
  last: number;
}

function parse(prefix: string): Range {
  const [ip, bits] = prefix.split('/') as [string, string];
  const base = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  const first = base - (base % size);
  return { first, last: first + size - 1 };
}

const overlaps = (a: Range, b: Range): boolean => a.first <= b.last && b.first <= a.last;

function format(value: number, bits: number): string {
  return `${[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')}/${bits}`;
}

/**
 * One VNet address space per region: the given ones (refused with
 * INVALID_CONFIG naming both regions when two overlap, since peered VNets must
 * not), the others the lowest free `10.N.0.0/16` in the order the regions are
 * configured, so a region keeps its space whichever subset is deployed.
 */
export function planAddressSpaces(regions: Record<string, { addressSpace?: string | undefined }>): Record<string, string> {
  const given = Object.entries(regions).flatMap(([id, r]) => (r.addressSpace ? [{ id, prefix: r.addressSpace, range: parse(r.addressSpace) }] : []));
  const issues: ConfigIssue[] = [];
  for (let i = 0; i < given.length; i++) {
    for (let j = i + 1; j < given.length; j++) {
      const a = given[i]!;
      const b = given[j]!;
      if (overlaps(a.range, b.range)) {
        issues.push({ path: `regions.${b.id}.addressSpace`, message: `overlaps regions.${a.id}.addressSpace (${a.prefix}); VNets to peer need disjoint address spaces`, value: JSON.stringify(b.prefix) });
      }
    }
  }
  if (issues.length > 0) throw invalidConfig('Azure provider options', issues);
  const taken = given.map((g) => g.range);
  const plan: Record<string, string> = {};
  let next = 0;
  for (const [id, r] of Object.entries(regions)) {
    if (r.addressSpace) {
      plan[id] = r.addressSpace;
      continue;
    }
    for (; next < 256; next++) {
      const range = parse(`10.${next}.0.0/16`);
      if (taken.some((t) => overlaps(t, range))) continue;
      taken.push(range);
      plan[id] = format(range.first, 16);
      next++;
      break;
    }
    if (!plan[id]) throw invalidConfig('Azure provider options', [{ path: `regions.${id}.addressSpace`, message: 'no free 10.N.0.0/16 is left: give one', value: 'undefined' }]);
  }
  return plan;
}

/** The subnet of a VNet: its first /24 (or the whole space when smaller). */
export function subnetOf(addressSpace: string): string {
  const bits = Number(addressSpace.split('/')[1]);
  const { first } = parse(addressSpace);
  return format(first, Math.max(bits, 24));
}
