import { MeridianError, type SessionRecord, type SessionRegistry } from '@meridian/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a SessionRegistry backend gives the conformance suite. */
export interface SessionRegistryFixture {
  registry: SessionRegistry;
  /**
   * Another registry object on the same data, as a second control-plane
   * instance would hold it (for Redis: another connection). Default: `registry`.
   */
  peer?(): Promise<SessionRegistry>;
  /** Frees what the fixture started (connections, peers). */
  close?(): Promise<void>;
}

const coded = (code: string) => (e: unknown) => MeridianError.hasCode(e, code as never);
const invalidField = (field: string) => (e: unknown) => MeridianError.hasCode(e, 'INVALID_ARGUMENT') && (e.details as { field?: string }).field === field;

/** A record as a control plane registers it; `extra` overrides any field. */
export function sessionRecord(id: string, extra: Partial<SessionRecord> = {}): SessionRecord {
  return { id, region: 'us-east', state: 'active', epoch: 0, metadata: { user: 'u-1' }, migrations: 0, updatedAt: 1_790_000_000_000, ...extra };
}

/** Every record of a registry (or of one region), through its own paging. */
export async function listAll(registry: SessionRegistry, options: { region?: string; limit?: number } = {}): Promise<SessionRecord[]> {
  const out: SessionRecord[] = [];
  let after: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages > 100_000) throw new Error('listAll: paging does not end');
    const page = await registry.list({ ...options, ...(after === undefined ? {} : { after }) });
    out.push(...page.records);
    if (page.next === undefined) return out;
    after = page.next;
  }
}

/**
 * The behaviour every SessionRegistry must have (memory, Redis): copies in
 * and out, registration (`ifAbsent`), migration steps (`expectedEpoch`), an
 * epoch that never goes down whatever the conditions, exactly one winner among
 * racing writers, paging in id order with a region filter, delete, the input
 * checks core's `checkSessionRecord` and friends make, and abort.
 */
export function runSessionRegistryConformance(name: string, makeFixture: () => Promise<SessionRegistryFixture>): void {
  describe(`SessionRegistry conformance: ${name}`, () => {
    let fx: SessionRegistryFixture;
    let registry: SessionRegistry;
    beforeEach(async () => {
      fx = await makeFixture();
      registry = fx.registry;
    });
    afterEach(async () => {
      await fx.close?.();
    });

    it('starts empty: get of a missing id is undefined, list is one empty last page, delete is false', async () => {
      expect(await registry.get('nobody')).toBeUndefined();
      expect(await registry.list()).toEqual({ records: [] });
      expect(await registry.list({ region: 'us-east', after: 'a', limit: 1 })).toEqual({ records: [] });
      expect(await registry.delete('nobody')).toBe(false);
    });

    it('stores a copy and returns copies: changing either object changes nothing stored', async () => {
      const record = sessionRecord('s-1', { metadata: { user: 'ann', clientIp: '203.0.113.9' }, migrations: 2, epoch: 3 });
      await registry.put(record);
      record.region = 'eu-west';
      record.metadata['user'] = 'mallory';
      const got = await registry.get('s-1');
      expect(got).toStrictEqual(sessionRecord('s-1', { metadata: { user: 'ann', clientIp: '203.0.113.9' }, migrations: 2, epoch: 3 }));
      got!.state = 'lost';
      got!.metadata['user'] = 'eve';
      const listed = (await registry.list()).records[0]!;
      listed.metadata['clientIp'] = '0.0.0.0';
      expect(await registry.get('s-1')).toStrictEqual(sessionRecord('s-1', { metadata: { user: 'ann', clientIp: '203.0.113.9' }, migrations: 2, epoch: 3 }));
    });

    it('round-trips unicode metadata, every state and pendingSnapshot; an absent pendingSnapshot stays absent', async () => {
      // A lone surrogate is a JavaScript string too: it must come back as it went in, not as U+FFFD.
      const metadata = { user: 'Zoë Ωmega 🙂', 'ключ': 'значение', '🔑': 'emoji key', quote: 'a "quoted" \\ back\nslash', empty: '', lone: 'a\ud800b' };
      const states = ['active', 'migrating', 'suspended', 'lost'] as const;
      for (const [i, state] of states.entries()) await registry.put(sessionRecord(`s-${i}`, { state, metadata, migrations: i, updatedAt: 1_790_000_000_000 + i }));
      await registry.put(sessionRecord('with-snapshot', { pendingSnapshot: 'snap/with-snapshot/7', updatedAt: 1.5 }));
      for (const [i, state] of states.entries()) {
        const got = await registry.get(`s-${i}`);
        expect(got).toStrictEqual(sessionRecord(`s-${i}`, { state, metadata, migrations: i, updatedAt: 1_790_000_000_000 + i }));
        expect(Object.keys(got!)).not.toContain('pendingSnapshot');
      }
      expect(await registry.get('with-snapshot')).toStrictEqual(sessionRecord('with-snapshot', { pendingSnapshot: 'snap/with-snapshot/7', updatedAt: 1.5 }));
      // Replacing a record without the field drops it.
      await registry.put(sessionRecord('with-snapshot', { epoch: 1 }));
      expect(Object.keys((await registry.get('with-snapshot'))!)).not.toContain('pendingSnapshot');
      const listed = await listAll(registry);
      expect(listed.map((r) => r.id)).toEqual(['s-0', 's-1', 's-2', 's-3', 'with-snapshot']);
      expect(listed[0]!.metadata).toStrictEqual(metadata);
    });

    it('keeps only the record fields it knows', async () => {
      await registry.put({ ...sessionRecord('extra'), color: 'blue' } as SessionRecord);
      expect(await registry.get('extra')).toStrictEqual(sessionRecord('extra'));
    });

    it('ifAbsent registers a new session and refuses an existing one with PRECONDITION_FAILED, changing nothing', async () => {
      await registry.put(sessionRecord('reg', { region: 'eu-west' }), { ifAbsent: true });
      const refused = await registry.put(sessionRecord('reg', { region: 'ap-south', epoch: 5 }), { ifAbsent: true }).catch((e: unknown) => e);
      expect(refused).toSatisfy(coded('PRECONDITION_FAILED'));
      expect((refused as MeridianError<'PRECONDITION_FAILED'>).details.key).toBe('reg');
      expect(await registry.get('reg')).toStrictEqual(sessionRecord('reg', { region: 'eu-west' }));
      await registry.put(sessionRecord('reg', { region: 'ap-south', epoch: 5 }), { ifAbsent: false });
      expect((await registry.get('reg'))!.region).toBe('ap-south');
    });

    it('expectedEpoch writes when the stored epoch matches, and refuses a mismatch or a missing record', async () => {
      await registry.put(sessionRecord('mig', { epoch: 2 }));
      await registry.put(sessionRecord('mig', { epoch: 3, region: 'eu-west', state: 'migrating' }), { expectedEpoch: 2 });
      expect(await registry.get('mig')).toStrictEqual(sessionRecord('mig', { epoch: 3, region: 'eu-west', state: 'migrating' }));
      // Same epoch, only the state changes (activation finished), still conditional.
      await registry.put(sessionRecord('mig', { epoch: 3, region: 'eu-west', migrations: 1 }), { expectedEpoch: 3 });
      for (const expectedEpoch of [2, 4, 0]) {
        await expect(registry.put(sessionRecord('mig', { epoch: 9, region: 'ap-south' }), { expectedEpoch })).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
      }
      expect(await registry.get('mig')).toStrictEqual(sessionRecord('mig', { epoch: 3, region: 'eu-west', migrations: 1 }));
      await expect(registry.put(sessionRecord('ghost', { epoch: 1 }), { expectedEpoch: 0 })).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
      expect(await registry.get('ghost')).toBeUndefined();
    });

    it('never lets the epoch go down, with or without conditions; an equal or higher epoch is accepted', async () => {
      await registry.put(sessionRecord('fenced', { epoch: 4, region: 'eu-west' }));
      const stale = await registry.put(sessionRecord('fenced', { epoch: 3, region: 'us-east' })).catch((e: unknown) => e);
      expect(stale).toSatisfy(coded('PRECONDITION_FAILED'));
      expect((stale as MeridianError<'PRECONDITION_FAILED'>).details.key).toBe('fenced');
      // A matching expectedEpoch does not excuse a lower epoch.
      await expect(registry.put(sessionRecord('fenced', { epoch: 0 }), { expectedEpoch: 4 })).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
      expect(await registry.get('fenced')).toStrictEqual(sessionRecord('fenced', { epoch: 4, region: 'eu-west' }));
      await registry.put(sessionRecord('fenced', { epoch: 4, region: 'eu-west', state: 'suspended' }));
      expect((await registry.get('fenced'))!.state).toBe('suspended');
      await registry.put(sessionRecord('fenced', { epoch: 10, region: 'ap-south' }));
      expect(await registry.get('fenced')).toStrictEqual(sessionRecord('fenced', { epoch: 10, region: 'ap-south' }));
      // The largest epoch there is, exactly (no float rounding in the backend's comparison).
      const top = Number.MAX_SAFE_INTEGER;
      await registry.put(sessionRecord('fenced', { epoch: top }));
      await expect(registry.put(sessionRecord('fenced', { epoch: top - 1 }))).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
      await registry.put(sessionRecord('fenced', { epoch: top, state: 'lost' }), { expectedEpoch: top });
      expect(await registry.get('fenced')).toStrictEqual(sessionRecord('fenced', { epoch: top, state: 'lost' }));
      // Deleting forgets the epoch: the id can be registered again from 0.
      expect(await registry.delete('fenced')).toBe(true);
      await registry.put(sessionRecord('fenced'), { ifAbsent: true });
    });

    it('lets exactly one of 10 racers with the same expectedEpoch win; the stored record is the winner', async () => {
      const peer = (await fx.peer?.()) ?? registry;
      await registry.put(sessionRecord('race', { epoch: 7 }));
      const racers = Array.from({ length: 10 }, (_, i) => sessionRecord('race', { epoch: 8, region: `region-${i}`, state: 'migrating', metadata: { racer: String(i) } }));
      const outcomes = await Promise.allSettled(racers.map((record, i) => (i % 2 === 0 ? registry : peer).put(record, { expectedEpoch: 7 })));
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toSatisfy(coded('PRECONDITION_FAILED'));
      expect(await peer.get('race')).toStrictEqual(racers[won[0]!]);
      expect(await registry.get('race')).toStrictEqual(racers[won[0]!]);

      // Racing registrations of one new id: one wins too.
      const registrations = await Promise.allSettled(racers.map((record, i) => (i % 2 === 0 ? registry : peer).put({ ...record, id: 'fresh', epoch: 0 }, { ifAbsent: true })));
      expect(registrations.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of registrations) if (o.status === 'rejected') expect(o.reason).toSatisfy(coded('PRECONDITION_FAILED'));
    });

    it('lists in id order (JavaScript string order), filters by region, and follows a moved record', async () => {
      const ids = ['b', 'a', 'Z', 'A', '_x', '0', '9', 'a.b', 'a-b', 'a:b', 'a_b', 'aa', '-', '.', ':'];
      for (const [i, id] of ids.entries()) await registry.put(sessionRecord(id, { region: i % 3 === 0 ? 'eu-west' : 'us-east' }));
      const sorted = [...ids].sort();
      expect((await registry.list()).records.map((r) => r.id)).toEqual(sorted);
      expect((await registry.list({ region: 'eu-west' })).records.map((r) => r.id)).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
      expect((await registry.list({ region: 'nowhere' })).records).toEqual([]);
      // `after` need not be a stored id.
      expect((await registry.list({ after: 'a0' })).records.map((r) => r.id)).toEqual(sorted.filter((id) => id > 'a0'));
      expect(await registry.list({ after: sorted.at(-1)! })).toEqual({ records: [] });

      // Moving a record to another region moves it between the region lists.
      expect((await registry.get('b'))!.region).toBe('eu-west');
      await registry.put(sessionRecord('b', { region: 'ap-south', epoch: 1 }), { expectedEpoch: 0 });
      expect((await registry.list({ region: 'eu-west' })).records.map((r) => r.id)).toEqual(ids.filter((id, i) => i % 3 === 0 && id !== 'b').sort());
      expect((await registry.list({ region: 'ap-south' })).records.map((r) => r.id)).toEqual(['b']);
      await registry.delete('b');
      expect((await registry.list({ region: 'ap-south' })).records).toEqual([]);
      expect((await registry.list()).records.map((r) => r.id)).toEqual(sorted.filter((id) => id !== 'b'));
    });

    it('pages through 2 500 records with after/limit/next: each exactly once, no next on the last page', async () => {
      const ids = Array.from({ length: 2500 }, (_, i) => `sess:${(i * 7919) % 2500}`);
      for (let i = 0; i < ids.length; i += 100) {
        await Promise.all(ids.slice(i, i + 100).map((id, j) => registry.put(sessionRecord(id, { region: (i + j) % 5 === 0 ? 'eu-west' : 'us-east' }))));
      }
      const sorted = [...ids].sort();
      for (const limit of [1000, 500, 333]) {
        const pages: number[] = [];
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await registry.list({ limit, ...(after === undefined ? {} : { after }) });
          pages.push(page.records.length);
          seen.push(...page.records.map((r) => r.id));
          if (page.next === undefined) break;
          expect(page.records).toHaveLength(limit);
          after = page.next;
        }
        expect(seen).toEqual(sorted);
        expect(pages.reduce((a, b) => a + b, 0)).toBe(2500);
        expect(pages.length).toBe(Math.ceil(2500 / limit)); // a full last page has no next: no empty page after it
      }
      expect((await registry.list()).records).toHaveLength(1000);
      expect((await registry.list({ limit: 10_000 })).records).toHaveLength(2500);

      const eu = await listAll(registry, { region: 'eu-west', limit: 77 });
      expect(eu.map((r) => r.id)).toEqual(ids.filter((_, i) => i % 5 === 0).sort());
      expect(eu.every((r) => r.region === 'eu-west')).toBe(true);
      const us = await listAll(registry, { region: 'us-east', limit: 1000 });
      expect(us).toHaveLength(2000);
      expect(new Set([...eu, ...us].map((r) => r.id)).size).toBe(2500);
    });

    it('delete is true when a record was there, false otherwise, and the record is gone', async () => {
      await registry.put(sessionRecord('del', { epoch: 2 }));
      expect(await registry.delete('del')).toBe(true);
      expect(await registry.delete('del')).toBe(false);
      expect(await registry.get('del')).toBeUndefined();
      expect((await registry.list()).records).toEqual([]);
    });

    it('refuses bad input with INVALID_ARGUMENT naming the field, storing nothing', async () => {
      const put = (extra: Record<string, unknown>, options?: object) => registry.put({ ...sessionRecord('ok'), ...extra } as SessionRecord, options as never);
      await expect(put({ id: 'has space' })).rejects.toSatisfy(invalidField('id'));
      await expect(put({ id: '' })).rejects.toSatisfy(invalidField('id'));
      await expect(put({ id: 'x'.repeat(129) })).rejects.toSatisfy(invalidField('id'));
      await expect(put({ id: 'é' })).rejects.toSatisfy(invalidField('id'));
      await expect(put({ region: '' })).rejects.toSatisfy(invalidField('region'));
      await expect(put({ region: 7 })).rejects.toSatisfy(invalidField('region'));
      await expect(put({ region: 'EU West' })).rejects.toSatisfy(invalidField('region'));
      await expect(put({ region: 'eu-\ud800' })).rejects.toSatisfy(invalidField('region'));
      await expect(put({ state: 'sleeping' })).rejects.toSatisfy(invalidField('state'));
      await expect(put({ epoch: -1 })).rejects.toSatisfy(invalidField('epoch'));
      await expect(put({ epoch: 1.5 })).rejects.toSatisfy(invalidField('epoch'));
      await expect(put({ epoch: Number.MAX_SAFE_INTEGER + 1 })).rejects.toSatisfy(invalidField('epoch'));
      await expect(put({ epoch: '3' })).rejects.toSatisfy(invalidField('epoch'));
      await expect(put({ migrations: -1 })).rejects.toSatisfy(invalidField('migrations'));
      await expect(put({ updatedAt: Number.NaN })).rejects.toSatisfy(invalidField('updatedAt'));
      await expect(put({ metadata: { user: 42 } })).rejects.toSatisfy(invalidField('metadata.user'));
      await expect(put({ metadata: ['a'] })).rejects.toSatisfy(invalidField('metadata'));
      await expect(put({ metadata: null })).rejects.toSatisfy(invalidField('metadata'));
      await expect(put({ pendingSnapshot: '' })).rejects.toSatisfy(invalidField('pendingSnapshot'));
      await expect(registry.put(null as never)).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(put({}, { ifAbsent: true, expectedEpoch: 0 })).rejects.toSatisfy(invalidField('ifAbsent'));
      await expect(put({}, { expectedEpoch: -1 })).rejects.toSatisfy(invalidField('expectedEpoch'));
      await expect(put({}, { expectedEpoch: 0.5 })).rejects.toSatisfy(invalidField('expectedEpoch'));
      await expect(put({}, { ifAbsent: 'yes' })).rejects.toSatisfy(invalidField('ifAbsent'));
      await expect(registry.get('bad id')).rejects.toSatisfy(invalidField('id'));
      await expect(registry.get(42 as never)).rejects.toSatisfy(invalidField('id'));
      await expect(registry.delete('bad/id')).rejects.toSatisfy(invalidField('id'));
      await expect(registry.list({ limit: 0 })).rejects.toSatisfy(invalidField('limit'));
      await expect(registry.list({ limit: 10_001 })).rejects.toSatisfy(invalidField('limit'));
      await expect(registry.list({ limit: 2.5 })).rejects.toSatisfy(invalidField('limit'));
      await expect(registry.list({ after: 'not valid' })).rejects.toSatisfy(invalidField('after'));
      await expect(registry.list({ region: '' })).rejects.toSatisfy(invalidField('region'));
      await expect(registry.list({ region: 'EU West' })).rejects.toSatisfy(invalidField('region'));
      expect(await registry.get('ok')).toBeUndefined();
      expect((await registry.list()).records).toEqual([]);
    });

    it('stops with ABORTED when the signal is aborted, writing nothing', async () => {
      const controller = new AbortController();
      controller.abort(new Error('shutting down'));
      const { signal } = controller;
      await registry.put(sessionRecord('kept'));
      await expect(registry.get('kept', { signal })).rejects.toSatisfy(coded('ABORTED'));
      await expect(registry.list({ signal })).rejects.toSatisfy(coded('ABORTED'));
      await expect(registry.put(sessionRecord('new'), { signal })).rejects.toSatisfy(coded('ABORTED'));
      await expect(registry.delete('kept', { signal })).rejects.toSatisfy(coded('ABORTED'));
      expect(await registry.get('new')).toBeUndefined();
      expect(await registry.get('kept')).toStrictEqual(sessionRecord('kept'));
    });
  });
}
