import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryReplicaStore, MeridianError, type ApplyResult, type MerkleSummary, type ReplicaCallOptions, type ReplicaEntry, type ReplicaRecord, type ReplicaStore, type ReplicaWrite, type ScanOptions, type ScanPage, type StoredRecord } from '@meridian/core';
import { lendReads, readOnly, toRecord, type LentReads } from '@meridian/core/spi';
import { readStateLines, replaceFile } from './state-lines.js';

const JOURNAL = 'records.jsonl';
const COMPACT_SLACK = 10_000;

/**
 * The directory store's own records (versions, vectors, manifests), in memory
 * and in an append-only journal (JSON lines; a binary value, a small file's
 * record, follows its line as raw bytes): one append per batch instead of one file per
 * record (core's FileReplicaStore), since a 200 MB file is thousands of chunk
 * records and a file per record made the disk round trips the bottleneck. On
 * open the journal is replayed (a torn last line, from a crash mid-append, is
 * dropped: its batch was never acknowledged) and rewritten when mostly stale.
 */
export class JournalReplicaStore implements ReplicaStore {
  readonly #mem = new MemoryReplicaStore();
  // The memory store's records themselves, for reads that only look (see `lent`).
  readonly #lent: LentReads = readOnly(this.#mem);
  readonly #durable: boolean;
  readonly #file: string;
  #handle: FileHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #lines = 0;

  private constructor(directory: string, durable: boolean) {
    this.#file = join(directory, JOURNAL);
    this.#durable = durable;
    lendReads(this, this.#lent);
  }

  /**
   * Reads that hand out the records themselves, not a copy each (a small
   * file's bytes are copied otherwise, on every read): for the directory
   * store's code that only reads them (compares, writes files from them,
   * serializes them), never changes them.
   */
  get lent(): LentReads {
    return this.#lent;
  }

  /** Opens (replaying) the journal in `directory`, which must exist. */
  static async open(directory: string, options: { durable: boolean }): Promise<JournalReplicaStore> {
    const store = new JournalReplicaStore(directory, options.durable);
    const entries = await readStateLines(
      store.#file,
      (line, bytes) => {
        const entry = line as { k?: unknown; r?: unknown };
        if (typeof entry?.k !== 'string' || typeof entry.r !== 'object' || (bytes !== undefined && entry.r === null)) throw new Error('not a journal entry');
        // A binary value: its own copy, not a view that would hold the whole journal in memory.
        if (bytes !== undefined) (entry.r as ReplicaRecord).value = new Uint8Array(bytes);
        return entry as { k: string; r: ReplicaRecord | null };
      },
      { attachments: true },
    );
    let replayed = 0;
    for (const entry of entries) {
      const [current] = await store.#lent.getMany([entry.k]);
      await store.#mem.apply([{ key: entry.k, record: entry.r, expected: current?.etag ?? null }]);
      replayed += 1;
    }
    store.#lines = replayed;
    if (replayed > 2 * store.#mem.size + COMPACT_SLACK) await store.#compact();
    store.#handle = await open(store.#file, 'a');
    return store;
  }

  getMany(keys: readonly string[], options?: ReplicaCallOptions): Promise<Array<StoredRecord | undefined>> {
    return this.#mem.getMany(keys, options);
  }

  scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
    return this.#mem.scan(options);
  }

  digest(nodes: readonly string[], options?: ReplicaCallOptions): Promise<MerkleSummary[]> {
    return this.#mem.digest(nodes, options);
  }

  entries(nodes: readonly string[], options?: ReplicaCallOptions): Promise<ReplicaEntry[]> {
    return this.#mem.entries(nodes, options);
  }

  /** Applies in memory, then appends what was applied (and fsyncs when durable) before returning. */
  async apply(writes: readonly ReplicaWrite[], options?: ReplicaCallOptions): Promise<ApplyResult> {
    // A binary value is journaled raw after its line; inside `conflicts` it would be mangled by JSON: refused.
    for (const w of writes) {
      if (w.record?.conflicts?.some((c) => c.value instanceof Uint8Array)) throw new MeridianError('INVALID_ARGUMENT', `record "${w.key}": a conflict version with a binary value cannot be journaled (keep conflict values as JSON)`, { details: { field: w.key } });
    }
    const run = this.#queue.then(async () => {
      const result = await this.#mem.apply(writes, options);
      if (result.applied.length === 0) return result;
      const stored = await this.#lent.getMany(result.applied);
      await this.#handle!.appendFile(journalBytes(result.applied.map((k, i) => [k, stored[i] ? toRecord(stored[i]!) : null])));
      if (this.#durable) await this.#handle!.sync();
      this.#lines += result.applied.length;
      // Mostly superseded lines: rewritten with the current records only, so the journal does not grow without end.
      if (this.#lines > 2 * this.#mem.size + COMPACT_SLACK) {
        await this.#handle!.close();
        await this.#compact();
        this.#handle = await open(this.#file, 'a');
      }
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the journal. Idempotent. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#handle?.close();
    this.#handle = undefined;
    await this.#mem.close();
  }

  async #compact(): Promise<void> {
    const entries: Array<[string, ReplicaRecord]> = [];
    let since = 0;
    for (;;) {
      const page = await this.#lent.scan({ since, limit: 1000 });
      for (const r of page.records) entries.push([r.key, toRecord(r)]);
      if (page.records.length === 0 || page.remaining === 0) break;
      since = page.records[page.records.length - 1]!.seq;
    }
    this.#lines = entries.length;
    await replaceFile(this.#file, journalBytes(entries), this.#durable);
  }
}

/**
 * Journal entries as the bytes to write, in one buffer: a line of JSON each,
 * and a binary value (a small file) after its line as raw bytes (see
 * state-lines.ts). One allocation per batch, not one per binary value.
 */
function journalBytes(entries: ReadonlyArray<[string, ReplicaRecord | null]>): Buffer {
  const lines: string[] = new Array<string>(entries.length);
  const values: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(entries.length);
  let total = 0;
  for (const [i, [k, r]] of entries.entries()) {
    const value = r?.value;
    if (value instanceof Uint8Array) {
      const { value: _binary, ...rest } = r!;
      lines[i] = `${JSON.stringify({ k, r: rest, b: value.length })}\n`;
      values[i] = value;
      total += value.length + 1;
    } else lines[i] = `${JSON.stringify({ k, r })}\n`;
    total += Buffer.byteLength(lines[i]!);
  }
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const [i, line] of lines.entries()) {
    at += out.write(line, at, 'utf8');
    const value = values[i];
    if (value === undefined) continue;
    out.set(value, at);
    out[at + value.length] = 0x0a;
    at += value.length + 1;
  }
  return out;
}
