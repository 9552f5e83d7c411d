import { type ApplyResult, type ReplicaEntry, type ScanPage, type StoredRecord } from '@meridian/core';
import { keyHash, leafOf, MERKLE_LEAF_DEPTH, parseStoredRecord } from '@meridian/core/spi';
import { z } from 'zod';
import { protocolError, type ReplicaTarget } from './replica-http.js';
import type { WireWrite } from './replica-input.js';

// Reply shapes of the /replica API (protocol 1). Records themselves are checked
// by core's parseStoredRecord, the one record schema.
const etag = z.string().regex(/^[0-9a-f]{40}$/, 'not an etag');
const count = z.number().int().nonnegative();
const getReply = z.object({ records: z.array(z.unknown()) });
const applyReply = z.object({ applied: z.array(z.string()), rejected: z.array(z.string()) });
const scanReply = z.object({ records: z.array(z.unknown()), remaining: count, head: count });
const leafDepth = z.number().int().positive();
const digestReply = z.object({ leafDepth, digests: z.record(z.string(), z.string().regex(/^[0-9a-f]{40}$/, 'not a SHA-1 digest')) });
const entriesReply = z.object({ leafDepth, entries: z.array(z.object({ key: z.string().min(1), etag })) });

/** @internal Decodes the replies of one store's region, failing with `SYNC_PROTOCOL_ERROR`. */
export class ReplicaReplies {
  constructor(private readonly target: ReplicaTarget) {}

  getMany(reply: unknown, keys: readonly string[]): Array<StoredRecord | undefined> {
    const { records } = this.#parse(getReply, reply, 'getMany');
    if (records.length !== keys.length) this.#fail('getMany', `${records.length} records for ${keys.length} keys`);
    return records.map((raw, i) => {
      if (raw === null) return undefined;
      const record = this.#record(raw, 'getMany', i);
      if (record.key !== keys[i]) this.#fail('getMany', `records[${i}] is key ${JSON.stringify(record.key)}, asked for ${JSON.stringify(keys[i])}`);
      return record;
    });
  }

  apply(reply: unknown, writes: readonly WireWrite[]): ApplyResult {
    const result = this.#parse(applyReply, reply, 'apply');
    const sent = new Set(writes.map((w) => w.key));
    const unknown = [...result.applied, ...result.rejected].find((key) => !sent.has(key));
    if (unknown !== undefined) this.#fail('apply', `key ${JSON.stringify(unknown)} was not in the batch`);
    if (result.applied.length + result.rejected.length !== writes.length) {
      this.#fail('apply', `${result.applied.length} applied and ${result.rejected.length} rejected for ${writes.length} writes`);
    }
    return result;
  }

  scan(reply: unknown, since: number, limit: number): ScanPage {
    const page = this.#parse(scanReply, reply, 'scan');
    if (page.records.length > limit) this.#fail('scan', `${page.records.length} records for a limit of ${limit}`);
    let last = since;
    const records = page.records.map((raw, i) => {
      const record = this.#record(raw, 'scan', i);
      if (record.seq <= last) this.#fail('scan', `records[${i}].seq ${record.seq} is not above ${last}`);
      last = record.seq;
      return record;
    });
    return { records, remaining: page.remaining, head: page.head };
  }

  digest(reply: unknown, prefixes: readonly string[]): Record<string, string> {
    const { digests, leafDepth: depth } = this.#parse(digestReply, reply, 'digest');
    this.#checkDepth(depth, 'digest');
    const out: Record<string, string> = {};
    for (const prefix of prefixes) {
      const digest = digests[prefix];
      if (digest === undefined) this.#fail('digest', `no digest for prefix ${JSON.stringify(prefix)}`);
      out[prefix] = digest;
    }
    return out;
  }

  entries(reply: unknown, leaves: readonly string[]): ReplicaEntry[] {
    const { entries, leafDepth: depth } = this.#parse(entriesReply, reply, 'entries');
    this.#checkDepth(depth, 'entries');
    const asked = new Set(leaves);
    const stray = entries.find((e) => !asked.has(leafOf(keyHash(e.key))));
    if (stray) this.#fail('entries', `key ${JSON.stringify(stray.key)} is not in the leaves asked for`);
    return entries;
  }

  // A tree of another shape gives digests that never match: refuse it instead of syncing forever.
  #checkDepth(depth: number, what: string): void {
    if (depth !== MERKLE_LEAF_DEPTH) this.#fail(what, `its Merkle leaves are ${depth} hex digits deep, this client's MERKLE_LEAF_DEPTH is ${MERKLE_LEAF_DEPTH}`);
  }

  #parse<T>(schema: z.ZodType<T>, reply: unknown, what: string): T {
    const result = schema.safeParse(reply);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    return this.#fail(what, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }

  #record(raw: unknown, what: string, index: number): StoredRecord {
    try {
      return parseStoredRecord(raw, `records[${index}]`);
    } catch (error) {
      throw protocolError(this.target, what, (error as Error).message, error);
    }
  }

  #fail(what: string, detail: string): never {
    throw protocolError(this.target, what, detail);
  }
}
