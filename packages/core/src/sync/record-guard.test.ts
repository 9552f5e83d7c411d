// The check by hand (record-guard.ts) against the zod schema it stands in for: it must never accept what the
// schema refuses, must accept what the schema accepts for JSON (what a peer sends), and must copy a stored
// record exactly as the schema's result does. A table of bad records, then seeded random records and mutations.
import { describe, expect, it } from 'vitest';
import { MeridianError } from '../errors/meridian-error.js';
import { encodeHlc } from './hlc.js';
import { copyStoredRecord, isRecordShape } from './record-guard.js';
import { checkRecord, parseStoredRecord, recordSchema, storedSchema } from './replica-record.js';

const H = encodeHlc({ wall: 1_790_000_000_000, logical: 1, node: 'us-east' });
const ETAG = 'a'.repeat(40);
const good = (): Record<string, unknown> => ({ key: 'k', value: { n: 1 }, deleted: false, version: H, origin: 'us-east', vv: { 'us-east': H } });

/** The schema's first issue, as checkRecord words it. */
function schemaMessage(input: unknown, where: string): string | undefined {
  const result = recordSchema.safeParse(input);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  return `${where}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
}

const with_ = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...good(), ...patch });
const without = (field: string): Record<string, unknown> => {
  const r = good();
  delete r[field];
  return r;
};

const BAD: Array<[string, unknown]> = [
  ['null', null],
  ['a string', 'record'],
  ['a number', 42],
  ['an array', [good()]],
  ['an empty object', {}],
  ['no deleted', without('deleted')],
  ['deleted as a string', with_({ deleted: 'false' })],
  ['deleted as 0', with_({ deleted: 0 })],
  ['no version', without('version')],
  ['version a number', with_({ version: 1_790_000_000_000 })],
  ['version not an HLC', with_({ version: '2026-12-06T10:00:00Z' })],
  ['version without node', with_({ version: '001790000000000.000001.' })],
  ['version with a short wall', with_({ version: '01790000000000.000001.us-east' })],
  ['version ending in a newline', with_({ version: `${H}\n` })],
  ['no origin', without('origin')],
  ['origin empty', with_({ origin: '' })],
  ['origin of 257 characters', with_({ origin: 'o'.repeat(257) })],
  ['origin null', with_({ origin: null })],
  ['no key', without('key')],
  ['key empty', with_({ key: '' })],
  ['key a number', with_({ key: 42 })],
  ['no vv', without('vv')],
  ['vv null', with_({ vv: null })],
  ['vv an array', with_({ vv: [H] })],
  ['vv a string', with_({ vv: H })],
  ['vv with an empty region', with_({ vv: { '': H } })],
  ['vv with a region of 257 characters', with_({ vv: { ['r'.repeat(257)]: H } })],
  ['vv with a number', with_({ vv: { 'us-east': 5 } })],
  ['vv with a bad HLC', with_({ vv: { 'us-east': 'yesterday' } })],
  ['vv with a good entry then a bad one', with_({ vv: { a: H, b: 'x' } })],
  ['vv a Map', with_({ vv: new Map([['us-east', H]]) })],
  ['vv a class instance', with_({ vv: new (class Vector {})() })],
  ['vv with a symbol key', with_({ vv: { [Symbol('r')]: H, 'us-east': H } })],
  ['conflicts null', with_({ conflicts: null })],
  ['conflicts an object', with_({ conflicts: { 0: { deleted: true, version: H, origin: 'x' } } })],
  ['conflicts holding a number', with_({ conflicts: [1] })],
  ['conflicts holding null', with_({ conflicts: [null] })],
  ['conflicts with a hole', with_({ conflicts: [, { deleted: true, version: H, origin: 'x' }] })], // eslint-disable-line no-sparse-arrays
  ['a conflict without deleted', with_({ conflicts: [{ version: H, origin: 'x' }] })],
  ['a conflict with a bad version', with_({ conflicts: [{ deleted: true, version: 'v1', origin: 'x' }] })],
  ['a conflict with an empty origin', with_({ conflicts: [{ deleted: true, version: H, origin: '' }] })],
  ['a second conflict bad', with_({ conflicts: [{ deleted: true, version: H, origin: 'x' }, { deleted: 'yes', version: H, origin: 'x' }] })],
  ['everything wrong at once', { key: 1, deleted: 1, version: 1, origin: 1, vv: 1, conflicts: 1 }],
];

describe('record guard', () => {
  it('refuses every bad record of the table, and checkRecord words each as the schema does', () => {
    for (const [name, input] of BAD) {
      expect(isRecordShape(input), name).toBe(false);
      const message = schemaMessage(input, 'records[3]');
      expect(message, `${name}: the schema must refuse it too`).toBeDefined();
      let thrown: unknown;
      try {
        checkRecord(input, 'records[3]');
      } catch (error) {
        thrown = error;
      }
      expect(MeridianError.hasCode(thrown, 'INVALID_ARGUMENT'), name).toBe(true);
      expect((thrown as Error).message, name).toBe(message);
    }
  });

  it('takes the unusual shapes the schema takes, through the schema', () => {
    // A __proto__ region (JSON.parse makes it an own key; the schema skips it) and a null-prototype vector.
    const proto = JSON.parse(`{"key":"k","deleted":false,"version":"${H}","origin":"o","vv":{"__proto__":"not an HLC","o":"${H}"}}`) as unknown;
    const bare = with_({ vv: Object.assign(Object.create(null) as object, { o: H }) });
    for (const input of [proto, bare]) {
      expect(isRecordShape(input)).toBe(false);
      expect(() => checkRecord(input, 'r')).not.toThrow();
    }
    const stored = JSON.parse(`{"key":"k","deleted":true,"version":"${H}","origin":"o","vv":{"__proto__":1},"seq":1,"etag":"${ETAG}"}`) as unknown;
    expect(parseStoredRecord(stored, 'peer')).toStrictEqual(storedSchema.parse(stored));
  });

  it('agrees with the schema on seeded random records and mutations of them (JSON: exactly; any JS value: never more lenient)', () => {
    const rnd = random(2026);
    let accepted = 0;
    let copied = 0;
    for (let i = 0; i < 20_000; i++) {
      const stored = i % 2 === 0;
      const record = mutate(randomRecord(rnd, stored), rnd);
      const json = JSON.stringify(record);
      const inputs: unknown[] = [record];
      if (json !== undefined) inputs.push(JSON.parse(json));
      for (const input of inputs) {
        const schema = (stored ? storedSchema : recordSchema).safeParse(input);
        if (stored) {
          const copy = copyStoredRecord(input);
          if (copy !== undefined) {
            expect(schema.success, json).toBe(true);
            expect(copy).toStrictEqual(schema.data);
            expect(keyOrder(copy)).toEqual(keyOrder(schema.data));
            copied += 1;
          }
          if (input !== record && !unusual(input)) expect(copy !== undefined, json).toBe(schema.success);
        } else {
          const shape = isRecordShape(input);
          if (shape) expect(schema.success, json).toBe(true);
          if (input !== record && !unusual(input)) expect(shape, json).toBe(schema.success);
          if (shape) accepted += 1;
        }
      }
    }
    // The mutations leave enough good records to test acceptance too.
    expect(accepted).toBeGreaterThan(2_000);
    expect(copied).toBeGreaterThan(2_000);
  });
});

/** JSON shapes the guard leaves to the schema on purpose (see record-guard.ts). */
function unusual(input: unknown): boolean {
  const vv = (input as { vv?: unknown } | null)?.vv;
  return typeof vv === 'object' && vv !== null && (Object.hasOwn(vv, '__proto__') || Object.hasOwn(vv, 'constructor'));
}

/** Every object's own keys in order, depth first: the schema's result and the copy must list fields alike. */
function keyOrder(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return null;
  return Object.keys(value).map((k) => [k, keyOrder((value as Record<string, unknown>)[k])]);
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

const hlcOf = (rnd: () => number): string => encodeHlc({ wall: Math.floor(rnd() * 2e12), logical: Math.floor(rnd() * 1e6), node: pick(rnd, ['us-east', 'eu-west/app', 'é', 'x'.repeat(40)]) });

const REGIONS = ['us-east', 'eu-west', 'a', '0', '10', 'r'.repeat(256), 'é'.repeat(200), '😀'.repeat(128), 'constructor', 'toString'];

function randomVersion(rnd: () => number): Record<string, unknown> {
  const deleted = rnd() < 0.3;
  const v: Record<string, unknown> = { deleted, version: hlcOf(rnd), origin: pick(rnd, REGIONS) };
  if (!deleted || rnd() < 0.2) v.value = pick(rnd, [1, 'text', null, { a: [1, 2] }, [], true]);
  return v;
}

function randomRecord(rnd: () => number, stored: boolean): Record<string, unknown> {
  const r: Record<string, unknown> = { key: pick(rnd, ['k', 'user:42', 'é', 'x'.repeat(300), ' spaced key ']), ...randomVersion(rnd) };
  const vv: Record<string, string> = {};
  for (let n = Math.floor(rnd() * 4); n > 0; n--) vv[pick(rnd, REGIONS)] = hlcOf(rnd);
  r.vv = vv;
  if (rnd() < 0.3) r.conflicts = Array.from({ length: Math.floor(rnd() * 3) }, () => randomVersion(rnd));
  if (stored) {
    r.seq = pick(rnd, [0, 1, 7, 2 ** 40, Number.MAX_SAFE_INTEGER]);
    r.etag = pick(rnd, [ETAG, '0123456789abcdef0123456789abcdef01234567']);
  }
  if (rnd() < 0.1) r.extra = 'ignored';
  return r;
}

const ODD_VALUES: unknown[] = [
  undefined, null, true, false, 0, -1, -0, 1.5, 2 ** 60, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, '', 'x', 'x'.repeat(257), '0', 'A'.repeat(40), 'g'.repeat(40),
  '001790000000000.000001.', '001790000000000.000001.node', '1790000000000.000001.node', [], [null], {}, { a: 1 }, new Date(0),
];

// A fresh copy each time: mutations push into the arrays they pick, and a shared one would end up inside itself.
const odd = (rnd: () => number): unknown => structuredClone(pick(rnd, ODD_VALUES));

/** Zero to three random changes: a field replaced or dropped, a vector entry or a conflict broken, the whole value swapped. */
function mutate(record: Record<string, unknown>, rnd: () => number): unknown {
  const changes = Math.floor(rnd() * 4);
  let out: unknown = record;
  for (let c = 0; c < changes; c++) {
    const roll = rnd();
    if (roll < 0.05) {
      out = odd(rnd);
      continue;
    }
    if (typeof out !== 'object' || out === null) continue;
    const target = out as Record<string, unknown>;
    if (roll < 0.55) {
      const field = pick(rnd, ['key', 'value', 'deleted', 'version', 'origin', 'vv', 'conflicts', 'seq', 'etag']);
      if (rnd() < 0.2) delete target[field];
      else target[field] = odd(rnd);
    } else if (roll < 0.8) {
      const vv = target.vv;
      if (typeof vv === 'object' && vv !== null && !Array.isArray(vv)) {
        const region = pick(rnd, [...REGIONS, '', 'q'.repeat(257), '__proto__']);
        Object.defineProperty(vv, region, { value: rnd() < 0.5 ? hlcOf(rnd) : odd(rnd), enumerable: true, writable: true, configurable: true });
      }
    } else {
      const list = Array.isArray(target.conflicts) ? (target.conflicts as unknown[]) : (target.conflicts = []);
      const item = randomVersion(rnd);
      if (rnd() < 0.7) item[pick(rnd, ['deleted', 'version', 'origin', 'value'])] = odd(rnd);
      list.push(rnd() < 0.1 ? odd(rnd) : item);
    }
  }
  return out;
}
