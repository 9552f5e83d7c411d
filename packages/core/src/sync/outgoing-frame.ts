import type { ReplicaRecord, StoredRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { HybridLogicalClock } from './hlc.js';
import { valueBytes } from './replica-record.js';
import { sortedView } from './version-vector.js';

/** What the sending side of a delivery needs. */
export interface SenderContext {
  from: string;
  to: string;
  /** The target region's clock: it must not accept records from too far ahead. */
  targetHlc: HybridLogicalClock;
  maxValueBytes: number;
  /** JSON bytes per frame; a single larger record still goes, alone. */
  maxBatchBytes: number;
  onSkew(key: string, skewMillis: number): void;
  onRejectedRecord(key: string, error: MeridianError): void;
}

/** One frame's payload, ready to be encoded, and how much of the input it took. */
export interface OutgoingFrame {
  /** The batch's JSON as UTF-8 (`{"records":[...]}`); undefined when every record it took was refused. */
  payload: Buffer | undefined;
  /** Bytes of the binary values the JSON refers to (`bin`), in order; empty when there are none. */
  binary: Uint8Array[];
  /** Records at the head of the input that are done (in the frame, or refused for good). */
  done: number;
  /** Highest `seq` among the done records (push cursors advance to it). */
  lastSeq: number | undefined;
  /** The key whose record is held back by clock skew (the rest wait behind it). */
  heldKey: string | undefined;
  /** True when the records had to be measured one by one (the next frame may as well start that way). */
  measured: boolean;
}

const FRAME_OPEN = '{"records":[';
const FRAME_CLOSE = ']}';

/**
 * Builds the next frame from the head of `records`: drops what can never be
 * applied (reported), stops in front of a record whose clock is too far ahead
 * (so nothing behind it is reordered past it), ends the frame at
 * `maxBatchBytes` of JSON. Encoding it (compression) is the caller's.
 *
 * The batch is serialized in one piece when it fits: under both
 * `maxBatchBytes` and `maxValueBytes` (a value is smaller than the frame that
 * holds it), nothing needs measuring. Otherwise, or when `measure` says the
 * last frame did not fit, records are serialized one by one up to the cut.
 * Either way the frame is the same, byte for byte.
 */
export function buildFrame(records: readonly StoredRecord[] | readonly ReplicaRecord[], ctx: SenderContext, measure = false): OutgoingFrame {
  const out = frameOf(records, ctx, measure);
  // Reported once the frame reaches the held record (a frame that ends before it says nothing yet).
  if (out.heldKey !== undefined) {
    const held = records[out.done]!;
    ctx.onSkew(held.key, ctx.targetHlc.skewOf(held.version));
  }
  return out;
}

/** Binary values of a frame being built, and where each one starts. */
class BinaryParts {
  readonly parts: Uint8Array[] = [];
  bytes = 0;

  add(value: Uint8Array): [number, number] {
    this.parts.push(value);
    this.bytes += value.length;
    return [this.bytes - value.length, value.length];
  }

  /** Drops the parts added after the first `count` (a record that did not go in this frame). */
  truncate(count: number): void {
    while (this.parts.length > count) this.bytes -= this.parts.pop()!.length;
  }
}

function frameOf(records: readonly ReplicaRecord[], ctx: SenderContext, measure: boolean): OutgoingFrame {
  if (!measure) {
    const wire: object[] = [];
    const binary = new BinaryParts();
    let heldKey: string | undefined;
    for (const record of records) {
      if (!acceptsClock(record, ctx)) {
        heldKey = record.key;
        break;
      }
      wire.push(wireRecord(record, binary));
    }
    if (wire.length === 0) return { payload: undefined, binary: [], done: 0, lastSeq: undefined, heldKey, measured: false };
    const whole = Buffer.from(JSON.stringify({ records: wire }), 'utf8');
    const size = whole.length + binary.bytes;
    if (size <= ctx.maxValueBytes && (size <= ctx.maxBatchBytes || wire.length === 1)) {
      return { payload: whole, binary: binary.parts, done: wire.length, lastSeq: lastSeqOf(records, wire.length), heldKey, measured: false };
    }
    return measured(records, ctx, { accepted: wire.length, heldKey });
  }
  return measured(records, ctx, undefined);
}

/**
 * The frame record by record: refuses values over maxValueBytes and ends at maxBatchBytes. `checked`: how
 * many records the clock already took (and the one it held), so none is taken twice or reported held twice.
 */
function measured(records: readonly ReplicaRecord[], ctx: SenderContext, checked: { accepted: number; heldKey: string | undefined } | undefined): OutgoingFrame {
  const accepted: string[] = [];
  const binary = new BinaryParts();
  let size = FRAME_OPEN.length + FRAME_CLOSE.length;
  let done = 0;
  let heldKey: string | undefined;
  for (; done < records.length; done++) {
    const record = records[done]!;
    if (checked ? done === checked.accepted : !acceptsClock(record, ctx)) {
      heldKey = checked ? checked.heldKey : record.key;
      break;
    }
    const mark = binary.parts.length;
    const json = JSON.stringify(wireRecord(record, binary));
    const binaryBytes = binary.parts.length > mark ? binary.parts[mark]!.length : 0;
    const jsonBytes = Buffer.byteLength(json, 'utf8');
    if (accepted.length > 0 && size + 1 + jsonBytes + binaryBytes > ctx.maxBatchBytes) {
      binary.truncate(mark);
      break; // the next frame starts with it
    }
    // A record's UTF-8 is at most 3 bytes per UTF-16 unit of its JSON: under the limit by that, its value is too.
    const bytes = binaryBytes > 0 ? binaryBytes : json.length * 3 > ctx.maxValueBytes ? valueBytes(record.value) : 0;
    if (bytes > ctx.maxValueBytes) {
      binary.truncate(mark);
      ctx.onRejectedRecord(
        record.key,
        new MeridianError('VALUE_TOO_LARGE', `record "${record.key}" from ${ctx.from} holds ${bytes} bytes, over maxValueBytes=${ctx.maxValueBytes}; not replicated to ${ctx.to}`, {
          details: { key: record.key, bytes, from: ctx.from, to: ctx.to },
        }),
      );
      continue;
    }
    size += jsonBytes + binaryBytes + (accepted.length > 0 ? 1 : 0);
    accepted.push(json);
  }
  const lastSeq = lastSeqOf(records, done);
  const payload = accepted.length === 0 ? undefined : Buffer.from(`${FRAME_OPEN}${accepted.join(',')}${FRAME_CLOSE}`, 'utf8');
  return { payload, binary: binary.parts, done, lastSeq, heldKey, measured: true };
}

// The target's clock takes the record's version, unless it is too far ahead: then the record is held.
function acceptsClock(record: ReplicaRecord, ctx: SenderContext): boolean {
  try {
    ctx.targetHlc.receive(record.version);
    return true;
  } catch (error) {
    if (!MeridianError.hasCode(error, 'CLOCK_SKEW')) throw error;
    return false;
  }
}

function lastSeqOf(records: readonly ReplicaRecord[], done: number): number | undefined {
  const last = records[done - 1];
  return last && 'seq' in last ? (last as StoredRecord).seq : undefined;
}

/**
 * A record as the frame carries it: no store fields (seq, etag), the vector in
 * canonical order, no empty conflict list; a binary value goes to `binary` and
 * the record names it by `bin` (see `BinaryValueRef`). Shares the value (it is
 * only serialized), where `toRecord` copies for keeping.
 */
function wireRecord(r: ReplicaRecord, binary: BinaryParts): object {
  const out: ReplicaRecord & { bin?: [number, number] } = { key: r.key, deleted: r.deleted, version: r.version, origin: r.origin, vv: sortedView(r.vv) as Record<string, string> };
  if (!r.deleted) {
    if (r.value instanceof Uint8Array) out.bin = binary.add(r.value);
    else out.value = r.value;
  }
  if (r.conflicts && r.conflicts.length > 0) out.conflicts = r.conflicts;
  return out;
}
