import { MAX_TIMER_MILLIS, systemClock, type Clock } from '../clock/clock.js';
import { MAX_TIMER_MESSAGE } from '../config/millis-schema.js';
import { invalidConfig, type ConfigIssue } from '../config/parse-options.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { Lease, LeaseStore } from '../contracts/lease-store.js';

/** Options of {@link MemoryLeaseStore}. */
export interface MemoryLeaseStoreOptions {
  /** Time source for expiry. Default the system clock. */
  clock?: Clock;
}

/**
 * Leases in this process's memory: the default for one instance (and for
 * several instances sharing one store object in tests). Fencing tokens grow per
 * name on every new acquisition and survive releases, so a stale holder's token
 * is always lower than the current one.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly #clock: Clock;
  readonly #leases = new Map<string, Lease>();
  readonly #tokens = new Map<string, number>();

  constructor(options: MemoryLeaseStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async acquire(name: string, holder: string, ttlMillis: number): Promise<Lease | undefined> {
    checkArgs('acquire', { name, holder, ttlMillis });
    const now = this.#clock.now();
    const current = this.#live(name, now);
    if (current && current.holder !== holder) return undefined;
    // The same holder acquiring again keeps its token: it never lost the lease.
    const token = current ? current.token : (this.#tokens.get(name) ?? 0) + 1;
    this.#tokens.set(name, token);
    const lease: Lease = { name, holder, token, expiresAt: now + ttlMillis };
    this.#leases.set(name, lease);
    return { ...lease };
  }

  async renew(lease: Lease, ttlMillis: number): Promise<Lease> {
    checkArgs('renew', { name: lease?.name, holder: lease?.holder, ttlMillis });
    const now = this.#clock.now();
    const current = this.#live(lease.name, now);
    if (!current || current.holder !== lease.holder || current.token !== lease.token) {
      throw leaseLost(lease, current);
    }
    const renewed: Lease = { ...current, expiresAt: now + ttlMillis };
    this.#leases.set(lease.name, renewed);
    return { ...renewed };
  }

  async release(lease: Lease): Promise<void> {
    const current = this.#leases.get(lease.name);
    if (current && current.holder === lease.holder && current.token === lease.token) this.#leases.delete(lease.name);
  }

  async current(name: string): Promise<Lease | undefined> {
    const lease = this.#live(name, this.#clock.now());
    return lease ? { ...lease } : undefined;
  }

  #live(name: string, now: number): Lease | undefined {
    const lease = this.#leases.get(name);
    return lease && now < lease.expiresAt ? lease : undefined;
  }
}

/** The LEASE_LOST error every store throws from `renew`. */
export function leaseLost(lease: Lease, current: Lease | undefined): MeridianError {
  const now = current ? `now held by "${current.holder}" (token ${current.token})` : 'it expired';
  return new MeridianError('LEASE_LOST', `Lease "${lease.name}" (token ${lease.token}) is no longer held by "${lease.holder}": ${now}`, {
    details: { name: lease.name, holder: lease.holder, token: lease.token, currentHolder: current?.holder, currentToken: current?.token },
  });
}

/** Validates the arguments every LeaseStore takes. */
export function checkArgs(call: string, args: { name: unknown; holder: unknown; ttlMillis: unknown }): void {
  const issues: ConfigIssue[] = [];
  if (typeof args.name !== 'string' || args.name.length === 0) issues.push({ path: 'name', message: 'must be a non-empty string', value: String(args.name) });
  if (typeof args.holder !== 'string' || args.holder.length === 0) issues.push({ path: 'holder', message: 'must be a non-empty string', value: String(args.holder) });
  if (typeof args.ttlMillis !== 'number' || !Number.isInteger(args.ttlMillis) || args.ttlMillis <= 0) {
    issues.push({ path: 'ttlMillis', message: 'must be a positive integer', value: String(args.ttlMillis) });
  } else if (args.ttlMillis > MAX_TIMER_MILLIS) {
    issues.push({ path: 'ttlMillis', message: MAX_TIMER_MESSAGE, value: String(args.ttlMillis) });
  }
  if (issues.length > 0) throw invalidConfig(`LeaseStore.${call}`, issues);
}
