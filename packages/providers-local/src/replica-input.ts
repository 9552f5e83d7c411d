import { type ReplicaRecord, type ReplicaWrite } from '@meridian/core';
import { checkWrites, recordEtag } from '@meridian/core/spi';

// What a record carries on the wire: the record and its etag, which the region stores as given.
type WireRecord = ReplicaRecord & { etag: string };

/** @internal A write as sent to a region's `/replica/apply`. */
export interface WireWrite {
  key: string;
  record: WireRecord | null;
  expected: string | null;
}

/**
 * @internal Validates a whole batch before anything is sent (a bad batch sends
 * nothing; core's checks, as every store) and adds each record's etag, so the
 * region need not compute it.
 */
export function encodeWrites(writes: readonly ReplicaWrite[]): WireWrite[] {
  checkWrites(writes);
  return writes.map((w) => ({ key: w.key, record: w.record === null ? null : { ...w.record, etag: recordEtag(w.record) }, expected: w.expected }));
}
