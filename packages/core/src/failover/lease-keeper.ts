import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Lease, LeaseStore } from '../contracts/lease-store.js';
import { MeridianError } from '../errors/meridian-error.js';

/** Callbacks of a {@link LeaseKeeper}. */
export interface LeaseKeeperHooks {
  acquired(lease: Lease): void;
  lost(lease: Lease, reason: string): void;
}

/**
 * Keeps (or keeps trying for) one lease: acquire when free, renew while held,
 * and declare it lost at once on LEASE_LOST or when local time passes its
 * expiry without a successful renewal (a store that is down must not leave a
 * stale leader acting).
 */
export class LeaseKeeper {
  #lease: Lease | undefined;
  #timer: TimerHandle | undefined;
  #running = false;
  #busy = false;

  constructor(
    private readonly store: LeaseStore,
    private readonly name: string,
    readonly holder: string,
    private readonly ttlMillis: number,
    private readonly renewMillis: number,
    private readonly clock: Clock,
    private readonly hooks: LeaseKeeperHooks,
  ) {}

  /** The lease while it is held and not expired by local time. */
  get lease(): Lease | undefined {
    if (this.#lease && this.clock.now() >= this.#lease.expiresAt) this.#lose('expired before it could be renewed');
    return this.#lease;
  }

  /** Starts the loop; the first attempt runs at once. Resolves after that attempt. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#tick();
  }

  /** Stops the loop and releases a held lease. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease) await this.store.release(lease).catch(() => undefined);
  }

  /** Runs one acquire-or-renew attempt now (tests and takeovers use it). */
  async tick(): Promise<void> {
    await this.#tick();
  }

  async #tick(): Promise<void> {
    if (!this.#running || this.#busy) return;
    this.#busy = true;
    try {
      const held = this.lease;
      if (held) {
        try {
          this.#lease = await this.store.renew(held, this.ttlMillis);
        } catch (error) {
          if (MeridianError.hasCode(error, 'LEASE_LOST')) this.#lose(error.message);
          // Other errors (store down): keep the lease until local expiry says otherwise.
        }
      } else {
        const lease = await this.store.acquire(this.name, this.holder, this.ttlMillis).catch(() => undefined);
        if (lease && this.#running) {
          this.#lease = lease;
          this.hooks.acquired(lease);
        }
      }
    } finally {
      this.#busy = false;
      if (this.#running) {
        this.#timer?.cancel();
        this.#timer = this.clock.setTimeout(() => void this.#tick(), this.renewMillis);
      }
    }
  }

  #lose(reason: string): void {
    const lease = this.#lease;
    if (!lease) return;
    this.#lease = undefined;
    this.hooks.lost(lease, reason);
  }
}
