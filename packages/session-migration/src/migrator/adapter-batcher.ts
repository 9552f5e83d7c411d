import { MeridianError, type ActivationCallOptions, type AdapterCallOptions, type SessionAdapter, type SessionBatchOutcome, type SessionRef } from '@meridian/core';

type Kind = 'suspend' | 'restore' | 'activate' | 'discard';

interface Waiting {
  ref: SessionRef;
  epoch: number | undefined;
  json: string;
  signal: AbortSignal;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A migration's calls to the adapter, coalesced: the calls of one kind to one
 * region made in the same turn of the event loop (the migrations that reached
 * the same step together) go as one batch call (`suspendMany`, ...) of at most
 * `maxBatchSize` sessions. Each migration still gets its own session's
 * outcome, as the single call would have given it: a session fenced or missing
 * fails alone. Without the adapter's batch call (or with `maxBatchSize` 1)
 * each call goes on its own, as before.
 *
 * A batch call is aborted only when every migration in it has stopped waiting;
 * a migration aborted while its batch is in flight still gets the real outcome
 * of its session, so its rollback knows what happened (never "probably not").
 */
export class AdapterBatcher {
  readonly #queues = new Map<string, { kind: Kind; region: string; waiting: Waiting[] }>();

  constructor(
    readonly adapter: SessionAdapter,
    readonly maxBatchSize: number,
  ) {}

  suspend(ref: SessionRef, region: string, options: AdapterCallOptions): Promise<void> {
    if (!this.#batches('suspendMany')) return this.adapter.suspend(ref, region, options);
    return this.#enqueue('suspend', region, ref, undefined, '', options.signal);
  }

  /** `restoreJson`; the adapter has it (a migration carrying text checked that). */
  restoreJson(ref: SessionRef, region: string, json: string, options: ActivationCallOptions): Promise<void> {
    if (!this.#batches('restoreJsonMany')) return this.adapter.restoreJson!(ref, region, json, options);
    return this.#enqueue('restore', region, ref, options.epoch, json, options.signal);
  }

  activate(ref: SessionRef, region: string, options: ActivationCallOptions): Promise<void> {
    if (!this.#batches('activateMany')) return this.adapter.activate(ref, region, options);
    return this.#enqueue('activate', region, ref, options.epoch, '', options.signal);
  }

  discard(ref: SessionRef, region: string, options: AdapterCallOptions): Promise<void> {
    if (!this.#batches('discardMany')) return this.adapter.discard(ref, region, options);
    return this.#enqueue('discard', region, ref, undefined, '', options.signal);
  }

  #batches(method: 'suspendMany' | 'restoreJsonMany' | 'activateMany' | 'discardMany'): boolean {
    return this.maxBatchSize > 1 && typeof this.adapter[method] === 'function';
  }

  #enqueue(kind: Kind, region: string, ref: SessionRef, epoch: number | undefined, json: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const key = `${kind}\u0000${region}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { kind, region, waiting: [] };
      this.#queues.set(key, queue);
      // After the I/O callbacks of this turn: every migration whose previous step just finished joins this batch.
      setImmediate(() => this.#flush(key));
    }
    const { waiting } = queue;
    return new Promise<void>((resolve, reject) => waiting.push({ ref, epoch, json, signal, resolve, reject }));
  }

  #flush(key: string): void {
    const queue = this.#queues.get(key)!;
    this.#queues.delete(key);
    // A migration that stopped before its call was sent is not sent at all.
    const live = queue.waiting.filter((w) => {
      if (!w.signal.aborted) return true;
      w.reject(w.signal.reason);
      return false;
    });
    for (let i = 0; i < live.length; i += this.maxBatchSize) void this.#send(queue.kind, queue.region, live.slice(i, i + this.maxBatchSize));
  }

  async #send(kind: Kind, region: string, batch: Waiting[]): Promise<void> {
    const controller = new AbortController();
    let stillWaiting = batch.length;
    const onAbort = (event: Event): void => {
      if (--stillWaiting === 0) controller.abort((event.target as AbortSignal).reason);
    };
    for (const w of batch) w.signal.addEventListener('abort', onAbort, { once: true });
    const options = { signal: controller.signal };
    try {
      let outcomes: SessionBatchOutcome[];
      if (batch.length === 1) {
        // Alone in its turn: the single call (its answer is the same, its request smaller).
        outcomes = [await this.#single(kind, region, batch[0]!, options).then(() => ({ sessionId: batch[0]!.ref.id }), (error: Error) => ({ sessionId: batch[0]!.ref.id, error }))];
      } else {
        const a = this.adapter;
        const sessions = batch.map((w) => w.ref);
        outcomes =
          kind === 'suspend'
            ? await a.suspendMany!(sessions, region, options)
            : kind === 'discard'
              ? await a.discardMany!(sessions, region, options)
              : kind === 'activate'
                ? await a.activateMany!(batch.map((w) => ({ session: w.ref, ...(w.epoch === undefined ? {} : { epoch: w.epoch }) })), region, options)
                : await a.restoreJsonMany!(batch.map((w) => ({ session: w.ref, json: w.json, ...(w.epoch === undefined ? {} : { epoch: w.epoch }) })), region, options);
      }
      batch.forEach((w, i) => {
        const outcome = outcomes[i];
        if (outcome?.sessionId !== w.ref.id) {
          w.reject(new MeridianError('REGION_UNAVAILABLE', `the adapter's batch ${kind} in ${region} did not answer for session "${w.ref.id}" in its place`, { details: { regionId: region } }));
        } else if (outcome.error) w.reject(outcome.error);
        else w.resolve();
      });
    } catch (error) {
      // The call itself failed (the region did not answer): it failed for every session in it.
      for (const w of batch) w.reject(error);
    } finally {
      for (const w of batch) w.signal.removeEventListener('abort', onAbort);
    }
  }

  #single(kind: Kind, region: string, w: Waiting, options: AdapterCallOptions): Promise<void> {
    const fenced = { ...options, ...(w.epoch === undefined ? {} : { epoch: w.epoch }) };
    if (kind === 'suspend') return this.adapter.suspend(w.ref, region, options);
    if (kind === 'discard') return this.adapter.discard(w.ref, region, options);
    if (kind === 'activate') return this.adapter.activate(w.ref, region, fenced);
    return this.adapter.restoreJson!(w.ref, region, w.json, fenced);
  }
}
