import { MeridianError } from '../errors/meridian-error.js';

/**
 * What a provider keeps to honour fencing tokens (see `ProviderCallOptions.fencingToken`):
 * the highest token seen. A call under an older token is refused with
 * `LEASE_LOST`, so a paused, stale leader cannot undo what the current one did.
 */
export class FencingGate {
  #highest = Number.NEGATIVE_INFINITY;

  /** Throws `LEASE_LOST` when `token` is older than the highest seen; no token passes. */
  check(token: number | undefined, what = 'setTraffic'): void {
    if (token === undefined || token >= this.#highest) return;
    throw new MeridianError('LEASE_LOST', `${what} refused: fencing token ${token} is older than ${this.#highest}; another instance holds the lease`, {
      details: { fencingToken: token, highest: this.#highest },
    });
  }

  /** Records `token` as used (call once the guarded write went through). */
  accept(token: number | undefined): void {
    if (token !== undefined) this.#highest = Math.max(this.#highest, token);
  }

  /** Highest token accepted so far (-Infinity before any). */
  get highest(): number {
    return this.#highest;
  }
}
