import { type ApplyResult, type MerkleSummary, type ReplicaEntry, type ScanPage, type StoredRecord } from '@meridian/core';
import { hashInNode, isFingerprint, isSummary, keyHash, parseNode, parseStoredRecord } from '@meridian/core/spi';
import { z } from 'zod';
import { protocolError, type ReplicaTarget } from './replica-http.js';
import type { WireWrite } from './replica-input.js';

// Reply shapes of the /replica API (protocol 2). Records themselves are checked
// by core's parseStoredRecord, the one record schema; tree summaries by isSummary.
const count = z.number().int().nonnegative();
const getReply = z.object({ records: z.array(z.unknown()) });
const applyReply = z.object({ applied: z.array(z.string()), rejected: z.array(z.string()) });
const scanReply = z.object({ records: z.array(z.unknown()), remaining: count, head: count });
const summary = z.custom<MerkleSummary>(isSummary, 'not a [fingerprint, count] summary');
const digestReply = z.object({ summaries: z.array(summary) });
const entry = z.tuple([z.string().min(1), z.string().refine(isFingerprint, 'not a fingerprint (16 hex digits)')]);
const entriesReply = z.object({ entries: z.array(entry) });

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

  digest(reply: unknown, nodes: readonly string[]): MerkleSummary[] {
    const { summaries } = this.#parse(digestReply, reply, 'digest');
    if (summaries.length !== nodes.length) this.#fail('digest', `${summaries.length} summaries for ${nodes.length} nodes`);
    return summaries;
  }

  entries(reply: unknown, nodes: readonly string[]): ReplicaEntry[] {
    const { entries } = this.#parse(entriesReply, reply, 'entries');
    const asked = nodes.map((name) => parseNode(name)!);
    const stray = entries.find(([key]) => {
      const hash = keyHash(key);
      return !asked.some((node) => hashInNode(hash, node));
    });
    if (stray) this.#fail('entries', `key ${JSON.stringify(stray[0])} is not in the nodes asked for`);
    return entries;
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
