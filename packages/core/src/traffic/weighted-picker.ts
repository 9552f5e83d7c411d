/**
 * Smooth weighted round-robin (as nginx does): deterministic, spreads picks
 * evenly (weights 5:1:1 give a a b a c a a, not a a a a a b c), O(regions) a pick.
 */
export class WeightedPicker {
  #current = new Map<string, number>();

  /** Picks a key with weight > 0 (among `allowed`, when given), or undefined when none has any. */
  pick(weights: Readonly<Record<string, number>>, allowed?: ReadonlySet<string>): string | undefined {
    let total = 0;
    let best: string | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const [key, weight] of Object.entries(weights)) {
      if (!(weight > 0)) {
        this.#current.delete(key);
        continue;
      }
      if (allowed !== undefined && !allowed.has(key)) continue;
      total += weight;
      const score = (this.#current.get(key) ?? 0) + weight;
      this.#current.set(key, score);
      if (score > bestScore) {
        bestScore = score;
        best = key;
      }
    }
    if (best !== undefined) this.#current.set(best, bestScore - total);
    return best;
  }
}
