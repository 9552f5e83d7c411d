import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryReplicaStore, type ApplyResult, type MerkleSummary, type ReplicaCallOptions, type ReplicaEntry, type ReplicaRecord, type ReplicaStore, type ReplicaWrite, type ScanOptions, type ScanPage, type StoredRecord } from '@meridian/core';
import { toRecord } from '@meridian/core/spi';
import { readStateLines, replaceFile } from './state-lines.js';

const JOURNAL = 'records.jsonl';
const COMPACT_SLACK = 10_000;

/**
 * The directory store's own records (versions, vectors, manifests), in memory
 * and in an append-only journal: one append per batch instead of one file per
 * record (core's FileReplicaStore), since a 200 MB file is thousands of chunk
 * records and a file per record made the disk round trips the bottleneck. On
 * open the journal is replayed (a torn last line, from a crash mid-append, is
 * dropped: its batch was never acknowledged) and rewritten when mostly stale.
 */
export class JournalReplicaStore implements ReplicaStore {
  readonly #mem = new MemoryReplicaStore();
  readonly #durable: boolean;
  readonly #file: string;
  #handle: FileHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #lines = 0;

  private constructor(directory: string, durable: boolean) {
    this.#file = join(directory, JOURNAL);
    this.#durable = durable;
  }

  /** Opens (replaying) the journal in `directory`, which must exist. */
  static async open(directory: string, options: { durable: boolean }): Promise<JournalReplicaStore> {
    const store = new JournalReplicaStore(directory, options.durable);
    const entries = await readStateLines(store.#file, (line) => {
      const entry = line as { k?: unknown; r?: unknown };
      if (typeof entry?.k !== 'string' || typeof entry.r !== 'object') throw new Error('not a journal entry');
      return entry as { k: string; r: ReplicaRecord | null };
    });
    let replayed = 0;
    for (const entry of entries) {
      const [current] = await store.#mem.getMany([entry.k]);
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
    const run = this.#queue.then(async () => {
      const result = await this.#mem.apply(writes, options);
      if (result.applied.length === 0) return result;
      const stored = await this.#mem.getMany(result.applied);
      const text = result.applied.map((k, i) => JSON.stringify({ k, r: stored[i] ? toRecord(stored[i]!) : null })).join('\n');
      await this.#handle!.appendFile(`${text}\n`);
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
    const lines: string[] = [];
    let since = 0;
    for (;;) {
      const page = await this.#mem.scan({ since, limit: 1000 });
      for (const r of page.records) lines.push(JSON.stringify({ k: r.key, r: toRecord(r) }));
      if (page.records.length === 0 || page.remaining === 0) break;
      since = page.records[page.records.length - 1]!.seq;
    }
    this.#lines = lines.length;
    await replaceFile(this.#file, lines.length > 0 ? `${lines.join('\n')}\n` : '', this.#durable);
  }
}
