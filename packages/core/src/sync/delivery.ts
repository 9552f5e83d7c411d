import type { ReplicaRecord, StoredRecord } from '../contracts/replica-store.js';
import { throwIfAborted } from '../errors/abort.js';
import { decodeBatch, encodePayload, type EncodedBatch, type EncodeOptions } from './batch-codec.js';
import { applyIncoming, type KnownAbsent, type ReceiverContext } from './incoming-frame.js';
import { buildFrame, type SenderContext } from './outgoing-frame.js';
import type { TokenBucket } from './token-bucket.js';

/** Everything a delivery needs from the engine: both sides, the link's encoding and bucket, and where traffic is counted. */
export interface DeliveryContext extends SenderContext, ReceiverContext {
  encode: EncodeOptions;
  bucket: TokenBucket | undefined;
  /** A frame went on the wire (after the bandwidth limit let it). */
  onSent?(bytes: number, rawBytes: number): void;
}

/** What `send` took from the head of its input. */
export interface Sent {
  /** Records done (in the frame, or refused for good). */
  done: number;
  /** Highest `seq` among them. */
  lastSeq: number | undefined;
  /** The record held back by clock skew, if the frame stopped in front of one. */
  heldKey: string | undefined;
}

/** Frames built and not yet applied, at most (measured: 3 keeps the main thread busy while the thread pool compresses). */
export const IN_FLIGHT = 3;

/**
 * Carries frames from one region to another, in order, as a pipeline. The
 * caller builds frame n+1 (reads, serializes) while frame n is compressed on
 * the thread pool, goes through the bandwidth bucket, is decompressed and
 * checked as the receiving region would, and is applied at the target. At
 * most {@link IN_FLIGHT} frames are between being built and being applied (a
 * slow target or link slows the sender down); frames pass the bucket one after
 * another, so the limit holds as without the pipeline; a frame is applied only
 * after every frame before it was, and when one fails none after it is.
 */
export class Delivery {
  readonly #ctx: DeliveryContext;
  // The last frame on the wire and the last frame applied; each frame waits for the one before it.
  #wire: Promise<EncodedBatch | undefined> = Promise.resolve(undefined);
  #applied: Promise<void> = Promise.resolve();
  readonly #inFlight: Array<Promise<void>> = [];
  #failed: { error: unknown } | undefined;
  #measure = false;
  #flushedAt = 0;
  /** Records written at the target so far. */
  written = 0;
  /** Encoded bytes sent so far. */
  bytes = 0;

  constructor(ctx: DeliveryContext) {
    this.#ctx = ctx;
  }

  /**
   * Builds one frame from the head of `records` (the rest is for the next
   * call) and queues it: resolves once it is built, before it is compressed,
   * sent or applied. `onApplied` runs once it is applied (or, for a frame of
   * refused records only, once the frames before it are). `absent`: keys
   * known absent at the target, not read there before the first write (see
   * {@link KnownAbsent}). Rejects with the failure of an earlier frame.
   */
  async send(records: readonly StoredRecord[] | readonly ReplicaRecord[], onApplied?: (sent: Sent) => void, absent?: KnownAbsent): Promise<Sent> {
    if (this.#failed) throw this.#failed.error;
    throwIfAborted(this.#ctx.signal, `sync ${this.#ctx.from} → ${this.#ctx.to}`);
    while (this.#inFlight.length >= IN_FLIGHT) await this.#inFlight.shift();
    const out = buildFrame(records, this.#ctx, this.#measure);
    // Records too large to send a page in one frame: the next frames are measured as they are built.
    this.#measure ||= out.measured;
    const sent: Sent = { done: out.done, lastSeq: out.lastSeq, heldKey: out.heldKey };
    if (out.payload === undefined) {
      if (onApplied) this.#queue(this.#applied.then(() => onApplied(sent)));
      return sent;
    }
    const encoded = encodePayload(out.payload, this.#ctx.encode, out.binary); // on the thread pool from now on
    encoded.catch(() => undefined); // observed below, unless a frame before failed
    // After the frame before is on the wire (and not at all if it failed).
    const onWire = this.#wire.then(async () => this.#onWire(await encoded));
    this.#wire = onWire;
    // Decoded as the receiving region would, as soon as it is on the wire: beside the frame before's apply.
    const decoded = onWire.then((frame) => decodeBatch(frame.frame, { maxRawBytes: Math.max(this.#ctx.maxBatchBytes, frame.rawBytes), source: this.#ctx.from }));
    decoded.catch(() => undefined); // observed by the apply below, which is not reached when a frame before fails
    // The target may start on what needs no records of its own (a directory store checks and writes chunk bytes)
    // while the frames before are applied.
    if (this.#ctx.target.prepare) {
      const target = this.#ctx.target;
      decoded.then((records) => target.prepare!(records)).catch(() => undefined);
    }
    this.#queue(
      this.#applied.then(async () => {
        this.written += await applyIncoming(await decoded, this.#ctx, absent);
        onApplied?.(sent);
      }),
    );
    return sent;
  }

  /** Waits until every frame sent is applied (and, for a store with `flush`, in place); rejects with the first failure. */
  async drain(): Promise<void> {
    await this.#applied;
    this.#inFlight.length = 0;
    if (this.written > this.#flushedAt && this.#ctx.target.flush) {
      this.#flushedAt = this.written;
      await this.#ctx.target.flush({ signal: this.#ctx.signal });
    }
  }

  /** Waits until nothing is in flight any more, whatever happened to it (after a failure, before giving up). */
  async settle(): Promise<void> {
    await Promise.all([this.#wire.catch(() => undefined), this.#applied.catch(() => undefined)]);
    this.#inFlight.length = 0;
  }

  // The frame passes the link's bucket (in order, after the frame before) and counts as sent.
  async #onWire(encoded: EncodedBatch): Promise<EncodedBatch> {
    await this.#ctx.bucket?.take(encoded.frame.length, this.#ctx.signal);
    this.bytes += encoded.frame.length;
    this.#ctx.onSent?.(encoded.frame.length, encoded.rawBytes);
    return encoded;
  }

  #queue(applied: Promise<void>): void {
    // Reported by send, drain or settle; never unhandled.
    applied.catch((error: unknown) => {
      this.#failed ??= { error };
    });
    this.#applied = applied;
    this.#inFlight.push(applied);
  }
}
