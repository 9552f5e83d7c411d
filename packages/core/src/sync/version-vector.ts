/** How two version vectors relate. */
export type VectorOrder = 'equal' | 'before' | 'after' | 'concurrent';

/**
 * Compares version vectors (region → encoded HLC of its newest write included).
 * `before`: `a` is an ancestor of `b`; `after`: `a` descends from `b`;
 * `concurrent`: each has a write the other has not seen, which is a conflict.
 */
export function compareVectors(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): VectorOrder {
  let aAhead = false;
  let bAhead = false;
  for (const region of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[region];
    const y = b[region];
    if (x === y) continue;
    if (y === undefined || (x !== undefined && x > y)) aAhead = true;
    else bAhead = true;
    if (aAhead && bAhead) return 'concurrent';
  }
  return aAhead ? 'after' : bAhead ? 'before' : 'equal';
}

/** The smallest vector that includes both. */
export function mergeVectors(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...a };
  for (const [region, version] of Object.entries(b)) {
    const mine = out[region];
    if (mine === undefined || version > mine) out[region] = version;
  }
  return sortKeys(out);
}

/** Same vector with keys sorted, so its JSON (and every digest over it) is canonical. */
export function sortKeys(vector: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const region of Object.keys(vector).sort()) out[region] = vector[region]!;
  return out;
}

/** The vector itself when its keys already come in sorted order, else a sorted copy: for reading (a digest), not for keeping. */
export function sortedView(vector: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const regions = Object.keys(vector);
  for (let i = 1; i < regions.length; i++) if (regions[i - 1]! > regions[i]!) return sortKeys(vector);
  return vector;
}
