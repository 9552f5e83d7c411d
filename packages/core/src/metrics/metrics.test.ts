import { describe, expect, it, vi } from 'vitest';
import { MeridianError } from '../errors/meridian-error.js';
import { guardMetrics } from './guard-metrics.js';
import { createListenerMetrics, type MetricRecord } from './listener-metrics.js';
import { MemoryMetrics } from './memory-metrics.js';
import { noopMetrics } from './noop-metrics.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return MeridianError.isInstance(error) ? error.code : 'not a MeridianError';
  }
  return undefined;
};

describe('MemoryMetrics', () => {
  it('counts, sets and observes per label set', () => {
    const m = new MemoryMetrics();
    const c = m.counter({ name: 'x_total', help: 'x', labelNames: ['region'] });
    c.inc({ region: 'a' });
    c.inc({ region: 'a' }, 2);
    c.inc({ region: 'b' }, 0);
    m.gauge({ name: 'g', help: 'g', labelNames: ['region'] }).set({ region: 'a' }, -1);
    const h = m.histogram({ name: 'h_seconds', help: 'h', buckets: [0.1, 1] });
    h.observe({}, 0.05);
    h.observe({}, 0.5);
    h.observe({}, 5);
    expect(m.value('x_total', { region: 'a' })).toBe(3);
    expect(m.value('x_total', { region: 'b' })).toBe(0);
    expect(m.value('x_total', { region: 'c' })).toBeUndefined();
    expect(m.value('g', { region: 'a' })).toBe(-1);
    expect(m.distribution('h_seconds')).toEqual({
      count: 3,
      sum: 5.55,
      buckets: [
        { le: 0.1, count: 1 },
        { le: 1, count: 2 },
        { le: Infinity, count: 3 },
      ],
    });
  });

  it('gives back the same instrument for the same definition and refuses a different one', () => {
    const m = new MemoryMetrics();
    m.counter({ name: 'x_total', help: 'x', labelNames: ['a'] }).inc({ a: '1' });
    m.counter({ name: 'x_total', help: 'other help', labelNames: ['a'] }).inc({ a: '1' });
    expect(m.value('x_total', { a: '1' })).toBe(2);
    expect(codeOf(() => m.counter({ name: 'x_total', help: 'x', labelNames: ['b'] }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => m.gauge({ name: 'x_total', help: 'x', labelNames: ['a'] }))).toBe('INVALID_CONFIG');
  });

  it('refuses what Prometheus refuses', () => {
    const m = new MemoryMetrics();
    expect(codeOf(() => m.counter({ name: 'bad-name', help: 'x' }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => m.counter({ name: 'ok', help: '' }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => m.counter({ name: 'ok', help: 'x', labelNames: ['__reserved'] }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => m.histogram({ name: 'h', help: 'x', labelNames: ['le'] }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => m.histogram({ name: 'h', help: 'x', buckets: [1, 1] }))).toBe('INVALID_CONFIG');
    const c = m.counter({ name: 'c_total', help: 'x', labelNames: ['region'] });
    expect(codeOf(() => c.inc({ zone: 'a' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => c.inc({ region: 'a' }, -1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => c.inc({ region: 'a' }, Number.NaN))).toBe('INVALID_ARGUMENT');
  });

  it('runs collect callbacks before every read, until disposed', () => {
    const m = new MemoryMetrics();
    const g = m.gauge({ name: 'g', help: 'g' });
    let n = 0;
    const sub = m.onCollect(() => g.set({}, ++n));
    expect(m.value('g')).toBe(1);
    expect(m.collect()[0]).toMatchObject({ name: 'g', kind: 'gauge', value: 2 });
    sub.dispose();
    expect(m.value('g')).toBe(2);
  });
});

describe('createListenerMetrics (the OpenTelemetry hook)', () => {
  it('hands every recording to the listener with its definition', () => {
    const records: MetricRecord[] = [];
    const m = createListenerMetrics((r) => records.push(r));
    m.counter({ name: 'c_total', help: 'c', labelNames: ['region'], unit: '1' }).inc({ region: 'a' }, 2);
    m.histogram({ name: 'h_seconds', help: 'h', unit: 's' }).observe({}, 0.2);
    let collected = 0;
    m.onCollect(() => collected++);
    m.collect();
    expect(collected).toBe(1);
    expect(records.map((r) => [r.metric.kind, r.metric.name, r.metric.unit, r.labels, r.value])).toEqual([
      ['counter', 'c_total', '1', { region: 'a' }, 2],
      ['histogram', 'h_seconds', 's', {}, 0.2],
    ]);
    expect(records[1]!.metric.buckets).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  });
});

describe('guardMetrics', () => {
  it('keeps a failing backend from throwing into an engine, and reports once per metric', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const guarded = guardMetrics(new MemoryMetrics());
      const c = guarded.counter({ name: 'c_total', help: 'c', labelNames: ['region'] });
      expect(() => c.inc({ zone: 'x' })).not.toThrow();
      expect(() => c.inc({ zone: 'x' })).not.toThrow();
      expect(error).toHaveBeenCalledTimes(1);
    } finally {
      error.mockRestore();
    }
  });

  it('returns noopMetrics itself: unused metrics cost nothing', () => {
    expect(guardMetrics(noopMetrics)).toBe(noopMetrics);
  });
});
