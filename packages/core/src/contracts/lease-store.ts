/** A held lease. `token` grows on every acquisition so stale holders can be fenced. */
export interface Lease {
  /** Lease name, e.g. `failover`. */
  name: string;
  /** Who holds it. */
  holder: string;
  /** Fencing token, strictly increasing per name. */
  token: number;
  /** When it lapses unless renewed, epoch ms. */
  expiresAt: number;
}

/** Who may act: one failover manager, one sync coordinator. */
export interface LeaseStore {
  /** Acquires `name` for `holder`, or returns undefined when someone else holds it. */
  acquire(name: string, holder: string, ttlMillis: number, options?: { signal?: AbortSignal }): Promise<Lease | undefined>;
  /** Extends a held lease; rejects with LEASE_LOST when it is no longer ours. */
  renew(lease: Lease, ttlMillis: number, options?: { signal?: AbortSignal }): Promise<Lease>;
  /** Gives a lease up; harmless when already lost. */
  release(lease: Lease, options?: { signal?: AbortSignal }): Promise<void>;
  /** The current holder, if any. */
  current(name: string, options?: { signal?: AbortSignal }): Promise<Lease | undefined>;
}
