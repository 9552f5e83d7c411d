import type { Clock } from '../clock/clock.js';
import { MeridianError } from '../errors/meridian-error.js';

/** A hybrid-logical-clock timestamp: physical milliseconds, a logical counter, and the node that made it. */
export interface HlcTimestamp {
  /** Physical part, milliseconds since the epoch (the largest wall time seen). */
  wall: number;
  /** Logical counter that orders events within one `wall` millisecond. */
  logical: number;
  /** Node id (a region id, optionally `region/writer`); breaks ties so the order is total. */
  node: string;
}

const WALL_DIGITS = 15;
const LOGICAL_DIGITS = 6;
const MAX_LOGICAL = 10 ** LOGICAL_DIGITS - 1;
const ENCODED = /^\d{15}\.\d{6}\..+$/;

/**
 * Encodes a timestamp as a string whose plain string order is the HLC's total
 * order (fixed-width wall and counter, then node), so stores can compare
 * versions without parsing them.
 */
export function encodeHlc(ts: HlcTimestamp): string {
  return `${String(ts.wall).padStart(WALL_DIGITS, '0')}.${String(ts.logical).padStart(LOGICAL_DIGITS, '0')}.${ts.node}`;
}

/** Parses an encoded timestamp; `SYNC_PROTOCOL_ERROR` when it is not one. */
export function decodeHlc(encoded: string): HlcTimestamp {
  if (!isHlc(encoded)) {
    throw new MeridianError('SYNC_PROTOCOL_ERROR', `"${String(encoded).slice(0, 80)}" is not an HLC timestamp (expected <15-digit wall>.<6-digit counter>.<node>)`);
  }
  // Fixed widths: cut rather than capture (this runs for every record a sync carries).
  const node = WALL_DIGITS + 1 + LOGICAL_DIGITS + 1;
  return { wall: Number(encoded.slice(0, WALL_DIGITS)), logical: Number(encoded.slice(WALL_DIGITS + 1, node - 1)), node: encoded.slice(node) };
}

/** True when `value` is a well-formed encoded timestamp. */
export function isHlc(value: unknown): value is string {
  return typeof value === 'string' && ENCODED.test(value);
}

/** Compares encoded timestamps: negative, zero or positive. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Physical milliseconds of an encoded timestamp. */
export function hlcWall(encoded: string): number {
  return Number(encoded.slice(0, WALL_DIGITS));
}

/** Options of {@link HybridLogicalClock}. */
export interface HybridLogicalClockOptions {
  /** This node's id: the region id, or `region/writer` when several writers share a region. */
  node: string;
  /** Physical time source. */
  clock: Clock;
  /** Remote timestamps further ahead of our physical time than this are refused. Default 5000. */
  maxClockSkewMillis?: number;
}

/**
 * Hybrid logical clock (Kulkarni et al.): timestamps stay close to physical
 * time, never go backwards, and respect causality (`receive` moves us past
 * anything we have seen). A remote timestamp too far in the future is refused
 * with `CLOCK_SKEW` instead of being adopted: adopting it would drag every later
 * local write into the future and let a broken clock win every conflict.
 */
export class HybridLogicalClock {
  /** This clock's node id. */
  readonly node: string;
  readonly #clock: Clock;
  readonly #maxSkew: number;
  #wall = 0;
  #logical = 0;

  constructor(options: HybridLogicalClockOptions) {
    if (typeof options.node !== 'string' || options.node.length === 0 || /\s/.test(options.node)) {
      throw new MeridianError('INVALID_ARGUMENT', `HLC node id must be a non-empty string without spaces, got ${JSON.stringify(options.node)}`);
    }
    this.node = options.node;
    this.#clock = options.clock;
    this.#maxSkew = options.maxClockSkewMillis ?? 5000;
  }

  /** A new timestamp for a local event, greater than every one before it. */
  now(): string {
    const physical = this.#clock.now();
    if (physical > this.#wall) {
      this.#wall = physical;
      this.#logical = 0;
    } else {
      this.#bump();
    }
    return encodeHlc({ wall: this.#wall, logical: this.#logical, node: this.node });
  }

  /**
   * Takes a remote timestamp into account so later local timestamps order after
   * it. Throws `CLOCK_SKEW` (with `details.skewMillis`) and changes nothing when
   * it is more than `maxClockSkewMillis` ahead of our physical time.
   */
  receive(remote: string): void {
    const ts = decodeHlc(remote);
    const physical = this.#clock.now();
    const skew = ts.wall - physical;
    if (skew > this.#maxSkew) {
      throw new MeridianError(
        'CLOCK_SKEW',
        `timestamp from "${ts.node}" is ${skew} ms ahead of this clock (limit maxClockSkewMillis=${this.#maxSkew}); refusing it so it cannot reorder writes`,
        { details: { node: ts.node, skewMillis: skew, maxClockSkewMillis: this.#maxSkew } },
      );
    }
    const wall = Math.max(this.#wall, ts.wall, physical);
    if (wall === this.#wall && wall === ts.wall) this.#logical = Math.max(this.#logical, ts.logical);
    else if (wall === ts.wall) this.#logical = ts.logical;
    else if (wall !== this.#wall) this.#logical = -1;
    this.#wall = wall;
    this.#bump();
  }

  /** How far ahead of our physical time an encoded timestamp is (negative when behind). */
  skewOf(remote: string): number {
    return hlcWall(remote) - this.#clock.now();
  }

  #bump(): void {
    // The counter is bounded so the encoding stays fixed-width; a million events
    // in one millisecond borrows the next millisecond instead of overflowing.
    if (this.#logical >= MAX_LOGICAL) {
      this.#wall += 1;
      this.#logical = 0;
    } else {
      this.#logical += 1;
    }
  }
}
