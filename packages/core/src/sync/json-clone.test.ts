import { describe, expect, it } from 'vitest';
import { cloneJson } from './json-clone.js';

describe('cloneJson', () => {
  it('copies JSON data deeply, sharing nothing', () => {
    const value = { a: [1, { b: 'two', c: null }], d: { e: true, f: -0, g: undefined }, n: Number.NaN };
    const copy = cloneJson(value);
    expect(copy).toEqual(value);
    expect(Object.is(copy.d.f, -0)).toBe(true);
    expect('g' in copy.d).toBe(true);
    copy.a.push(3);
    (copy.a[1] as { b: string }).b = 'changed';
    expect(value.a).toEqual([1, { b: 'two', c: null }]);
  });

  it('keeps a "__proto__" key as data', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"x":1}') as Record<string, unknown>;
    const copy = cloneJson(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'x']);
    expect(copy['__proto__']).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('copies what is not plain JSON as structuredClone does', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const when = new Date(1_790_000_000_000);
    const value = { when, map: new Map([['k', 1]]), point: new Point(2), holes: [1, , 3] };
    const copy = cloneJson(value);
    expect(copy.when).toBeInstanceOf(Date);
    expect(copy.when).not.toBe(when);
    expect(copy.when.getTime()).toBe(when.getTime());
    expect(copy.map).toEqual(new Map([['k', 1]]));
    expect(copy.point).toEqual(structuredClone(value.point));
    expect(1 in copy.holes).toBe(false);
  });

  it('survives cycles and deep nesting', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 1000; i++) deep = { next: deep };
    expect((cloneJson({ cyclic }).cyclic as Record<string, unknown>)['name']).toBe('loop');
    expect(JSON.stringify(cloneJson(deep))).toBe(JSON.stringify(deep));
  });

  it('copies a binary value as its own bytes only, not the buffer it is a view of', () => {
    const frame = Buffer.alloc(1 << 20, 7);
    const view = frame.subarray(1000, 1010);
    const copy = cloneJson({ value: view }).value;
    expect(copy).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(copy).equals(view)).toBe(true);
    expect(copy.buffer.byteLength).toBe(10); // structuredClone would have copied the whole megabyte
    view[0] = 1;
    expect(copy[0]).toBe(7);
  });
});
