import type { BlockBlobClient } from '@azure/storage-blob';
import { MAX_TIMER_MILLIS, MeridianError, systemClock, type Clock, type Lease, type LeaseStore } from '@meridian/core';
import { hasMethods, invalidConfig, parseOptions, throwIfAborted, type ConfigIssue } from '@meridian/core/spi';
import { z } from 'zod';
import { connect, connectionSchema, type AzureBlobConnectionOptions, type BlobConnection } from './blob-connection.js';
import { restStatus, storeError } from './blob-errors.js';
import { ContainerReady } from './container-ready.js';
import { leaseIdOf, readView, writeView, type LeaseView } from './lease-metadata.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

/** Options of {@link AzureBlobLeaseStore}. */
export interface AzureBlobLeaseStoreOptions extends AzureBlobConnectionOptions {
  /** Prepended to every lease name to form the blob name. Default `leases/`. */
  prefix?: string;
  /** Time for expiry; every instance sharing a lease should agree on it within a small skew. Default the system clock. */
  clock?: Clock;
}

const NAME = /^[A-Za-z0-9._:-]{1,200}$/;
const MAX_RACES = 8;

const schema = connectionSchema.extend({
  prefix: z.string().regex(/^[A-Za-z0-9._:/-]{0,200}$/, 'must be letters, digits and . _ : / -').default('leases/'),
  clock: z.custom<Clock>((v) => hasMethods(v, ['now', 'setTimeout']), 'must be a Clock (with now, setTimeout)').optional(),
});

interface Read {
  etag: string;
  leased: boolean;
  view: LeaseView;
}

function checkArgs(call: string, name: unknown, holder: unknown, ttlMillis: unknown): void {
  const issues: ConfigIssue[] = [];
  if (typeof name !== 'string' || !NAME.test(name)) issues.push({ path: 'name', message: `must match ${NAME.source}`, value: JSON.stringify(name) ?? 'undefined' });
  if (typeof holder !== 'string' || holder.length === 0) issues.push({ path: 'holder', message: 'must be a non-empty string', value: String(holder) });
  if (typeof ttlMillis !== 'number' || !Number.isInteger(ttlMillis) || ttlMillis <= 0) issues.push({ path: 'ttlMillis', message: 'must be a positive integer', value: String(ttlMillis) });
  else if (ttlMillis > MAX_TIMER_MILLIS) issues.push({ path: 'ttlMillis', message: MAX_TIMER_MESSAGE, value: String(ttlMillis) });
  if (issues.length > 0) throw invalidConfig(`LeaseStore.${call}`, issues);
}

function leaseLost(lease: Lease, current: LeaseView | undefined, now: number, why?: string): MeridianError {
  const live = current?.holder !== undefined && now < current.expiresAt;
  const reason = why ?? (live ? `now held by "${current!.holder}" (token ${current!.token})` : 'it expired');
  return new MeridianError('LEASE_LOST', `Lease "${lease.name}" (token ${lease.token}) is no longer held by "${lease.holder}": ${reason}`, {
    details: { name: lease.name, holder: lease.holder, token: lease.token, currentHolder: live ? current!.holder : undefined, currentToken: live ? current!.token : undefined },
  });
}

const isLeaseConflict = (code: string | undefined): boolean => code !== undefined && code.startsWith('Lease');

/**
 * A LeaseStore on Azure blob leases, one blob per lease name.
 *
 * Every `ttlMillis` maps to an **infinite** blob lease plus an expiry time in
 * the blob's metadata (`meridianexpiresat`, with `meridianholder` and the
 * fencing token `meridiantoken`): Azure lease durations are 15–60 s or
 * infinite and cannot change on renew, while the contract needs any TTL.
 * Why one holder at a time holds:
 * - metadata can only be written under the active blob lease (Blob Storage
 *   refuses other writers with 412), and every write also carries the ETag it
 *   was computed from (`If-Match`);
 * - a contender frees an expired lease by breaking the blob lease with
 *   `If-Match` on the ETag it judged expired: if the holder renewed (or a new
 *   holder wrote) since, the ETag changed and the break fails with 412;
 * - acquiring is blob-lease acquire (`If-Match`, 409 when someone holds it),
 *   then the metadata write; only when that write succeeds is the lease held,
 *   with token = previous + 1 (tokens survive releases, so they only grow).
 * The blob lease id is derived from name and holder, so a holder can renew
 * and release from any process. `break(name)` frees a lease by force, as
 * `az storage blob lease break` would, and fences the holder at its next renew.
 */
export class AzureBlobLeaseStore implements LeaseStore {
  readonly #connection: BlobConnection;
  readonly #container: ContainerReady;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(options: AzureBlobLeaseStoreOptions) {
    const o = parseOptions(schema, options, 'AzureBlobLeaseStore options');
    this.#connection = connect(o, 'AzureBlobLeaseStore options');
    this.#container = new ContainerReady(this.#connection);
    this.#prefix = o.prefix;
    this.#clock = o.clock ?? systemClock;
  }

  async acquire(name: string, holder: string, ttlMillis: number, options: { signal?: AbortSignal } = {}): Promise<Lease | undefined> {
    checkArgs('acquire', name, holder, ttlMillis);
    const { signal } = options;
    const leaseId = leaseIdOf(name, holder);
    for (let race = 0; race < MAX_RACES; race++) {
      const read = await this.#read(name, signal);
      if (!read) {
        await this.#create(name, signal);
        continue;
      }
      const now = this.#clock.now();
      const live = read.view.holder !== undefined && now < read.view.expiresAt;
      if (live && read.view.holder !== holder) return undefined;
      if (read.leased && !live) {
        // Expired or released but still leased: break it, unless it changed since we looked (412).
        await this.#call('break', name, signal, () => this.#blob(name).getBlobLeaseClient().breakLease(0, { abortSignal: signal, conditions: { ifMatch: read.etag } }), [409, 412]);
        continue;
      }
      if (!read.leased) {
        const got = await this.#call('acquire', name, signal, () => this.#blob(name).getBlobLeaseClient(leaseId).acquireLease(-1, { abortSignal: signal, conditions: { ifMatch: read.etag } }), [409, 412]);
        if (!got) continue;
      }
      // The live holder acquiring again keeps its token: it never lost the lease.
      const token = live ? read.view.token : read.view.token + 1;
      const expiresAt = now + ttlMillis;
      if (await this.#write(name, leaseId, read.etag, { holder, token, expiresAt }, signal)) return { name, holder, token, expiresAt };
    }
    return undefined;
  }

  async renew(lease: Lease, ttlMillis: number, options: { signal?: AbortSignal } = {}): Promise<Lease> {
    checkArgs('renew', lease?.name, lease?.holder, ttlMillis);
    const { signal } = options;
    const leaseId = leaseIdOf(lease.name, lease.holder);
    for (let race = 0; race < MAX_RACES; race++) {
      const read = await this.#read(lease.name, signal);
      const now = this.#clock.now();
      const view = read?.view;
      if (!read || !view || view.holder !== lease.holder || view.token !== lease.token || now >= view.expiresAt) throw leaseLost(lease, view, now);
      if (!read.leased) throw leaseLost(lease, view, now, 'its blob lease was broken');
      const expiresAt = now + ttlMillis;
      try {
        if (await this.#write(lease.name, leaseId, read.etag, { holder: lease.holder, token: lease.token, expiresAt }, signal, true)) return { ...lease, expiresAt };
      } catch (error) {
        if (MeridianError.hasCode(error, 'LEASE_LOST')) throw leaseLost(lease, view, now, 'its blob lease was broken or taken');
        throw error;
      }
    }
    throw new MeridianError('STORE_UNAVAILABLE', `Lease "${lease.name}": renew lost ${MAX_RACES} races in a row in ${this.#connection.where}`);
  }

  async release(lease: Lease, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    const read = await this.#read(lease.name, signal);
    if (!read || read.view.holder !== lease.holder || read.view.token !== lease.token) return;
    const leaseId = leaseIdOf(lease.name, lease.holder);
    // Free it but keep the token: the next holder's token must be larger.
    if (!(await this.#write(lease.name, leaseId, read.etag, { holder: undefined, token: lease.token, expiresAt: 0 }, signal))) return;
    await this.#call('release', lease.name, signal, () => this.#blob(lease.name).getBlobLeaseClient(leaseId).releaseLease({ abortSignal: signal }), [409, 412]);
  }

  async current(name: string, options: { signal?: AbortSignal } = {}): Promise<Lease | undefined> {
    const read = await this.#read(name, options.signal);
    if (!read) return undefined;
    const { holder, token, expiresAt } = read.view;
    return holder !== undefined && this.#clock.now() < expiresAt ? { name, holder, token, expiresAt } : undefined;
  }

  /** Frees `name` by force (an operator's break): the holder gets LEASE_LOST at its next renew; the token is kept. */
  async break(name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkArgs('break', name, 'operator', 1);
    const { signal } = options;
    for (let race = 0; race < MAX_RACES; race++) {
      const read = await this.#read(name, signal);
      if (!read) return;
      if (read.leased && !(await this.#call('break', name, signal, () => this.#blob(name).getBlobLeaseClient().breakLease(0, { abortSignal: signal, conditions: { ifMatch: read.etag } }), [409, 412]))) continue;
      const cleared = await this.#call('clear', name, signal, () => this.#blob(name).setMetadata(writeView({ holder: undefined, token: read.view.token, expiresAt: 0 }), { abortSignal: signal, conditions: { ifMatch: read.etag } }), [409, 412]);
      if (cleared) return;
    }
  }

  #blob(name: string): BlockBlobClient {
    return this.#connection.container.getBlockBlobClient(this.#prefix + name);
  }

  async #read(name: string, signal: AbortSignal | undefined): Promise<Read | undefined> {
    throwIfAborted(signal, 'LeaseStore call');
    try {
      const p = await this.#container.run('read', signal, () => this.#blob(name).getProperties({ abortSignal: signal }));
      return { etag: p.etag!, leased: p.leaseState === 'leased', view: readView(p.metadata) };
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw storeError(error, `read lease "${name}"`, this.#connection.where, signal);
    }
  }

  async #create(name: string, signal: AbortSignal | undefined): Promise<void> {
    const body = writeView({ holder: undefined, token: 0, expiresAt: 0 });
    await this.#call('create', name, signal, () => this.#blob(name).upload('', 0, { abortSignal: signal, metadata: body, conditions: { ifNoneMatch: '*' } }), [409, 412]);
  }

  /** Writes the view under our blob lease and the ETag it was computed from; false when the race was lost. */
  async #write(name: string, leaseId: string, etag: string, view: LeaseView, signal: AbortSignal | undefined, lostIsError = false): Promise<boolean> {
    try {
      await this.#container.run('write', signal, () => this.#blob(name).setMetadata(writeView(view), { abortSignal: signal, conditions: { leaseId, ifMatch: etag } }));
      return true;
    } catch (error) {
      const { status, code } = restStatus(error);
      if (status === 412 || status === 409 || status === 404) {
        if (lostIsError && isLeaseConflict(code)) throw new MeridianError('LEASE_LOST', code!, { cause: error });
        return false;
      }
      throw storeError(error, `write lease "${name}"`, this.#connection.where, signal);
    }
  }

  /** Runs a blob call; true when it succeeded, false for an expected conflict status. */
  async #call(what: string, name: string, signal: AbortSignal | undefined, fn: () => Promise<unknown>, conflicts: number[]): Promise<boolean> {
    try {
      await this.#container.run(what, signal, fn);
      return true;
    } catch (error) {
      if (conflicts.includes(restStatus(error).status ?? 0)) return false;
      throw storeError(error, `${what} lease "${name}"`, this.#connection.where, signal);
    }
  }
}
