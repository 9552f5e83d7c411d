import { MemoryMetrics, MeridianError } from '@meridian/core';
import { createPrometheusMetrics } from '@meridian/metrics-prometheus';
import { parsePrometheusText, sampleValue } from '@meridian/testkit';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return MeridianError.isInstance(error) ? error.code : `not a MeridianError: ${String(error)}`;
  }
  return undefined;
};

describe('createPrometheusMetrics', () => {
  it('writes counters, gauges and histograms in the text format, with a prefix', async () => {
    const metrics = createPrometheusMetrics({ prefix: 'shop_' });
    metrics.counter({ name: 'meridian_x_total', help: 'Xs by region.', labelNames: ['region'] }).inc({ region: 'eu-west' }, 2);
    metrics.gauge({ name: 'meridian_g', help: 'A "gauge"\\ with\nlines.', labelNames: ['region'] }).set({ region: 'a"b' }, -1);
    const h = metrics.histogram({ name: 'meridian_h_seconds', help: 'H.', labelNames: ['outcome'], buckets: [0.1, 1] });
    h.observe({ outcome: 'ok' }, 0.05);
    h.observe({ outcome: 'ok' }, 2);
    const families = parsePrometheusText(await metrics.metrics());
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(families.get('shop_meridian_x_total')).toMatchObject({ type: 'counter', help: 'Xs by region.' });
    expect(sampleValue(families, 'shop_meridian_x_total', { region: 'eu-west' })).toBe(2);
    expect(families.get('shop_meridian_g')?.help).toBe('A "gauge"\\ with\nlines.');
    expect(sampleValue(families, 'shop_meridian_g', { region: 'a"b' })).toBe(-1);
    expect(families.get('shop_meridian_h_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'shop_meridian_h_seconds_bucket', { outcome: 'ok', le: '0.1' })).toBe(1);
    expect(sampleValue(families, 'shop_meridian_h_seconds_bucket', { outcome: 'ok', le: '1' })).toBe(1);
    expect(sampleValue(families, 'shop_meridian_h_seconds_bucket', { outcome: 'ok', le: '+Inf' })).toBe(2);
    expect(sampleValue(families, 'shop_meridian_h_seconds_sum', { outcome: 'ok' })).toBeCloseTo(2.05);
    expect(sampleValue(families, 'shop_meridian_h_seconds_count', { outcome: 'ok' })).toBe(2);
  });

  it('runs collect hooks once per scrape, before any value is read', async () => {
    const metrics = createPrometheusMetrics();
    const a = metrics.gauge({ name: 'a', help: 'a' });
    metrics.gauge({ name: 'b', help: 'b' });
    let runs = 0;
    metrics.onCollect(() => a.set({}, ++runs));
    expect(sampleValue(parsePrometheusText(await metrics.metrics()), 'a')).toBe(1);
    expect(sampleValue(parsePrometheusText(await metrics.registry.metrics()), 'a')).toBe(2);
    expect(runs).toBe(2);
  });

  it('gives back the same instrument for the same definition, and refuses clashes as MemoryMetrics does', () => {
    const registry = new Registry();
    new Counter({ name: 'taken_total', help: 'by someone else', registers: [registry] });
    const metrics = createPrometheusMetrics({ registry });
    expect(metrics.registry).toBe(registry);
    const first = metrics.counter({ name: 'c_total', help: 'c', labelNames: ['a'] });
    expect(metrics.counter({ name: 'c_total', help: 'c', labelNames: ['a'] })).toBe(first);
    const memory = new MemoryMetrics();
    memory.counter({ name: 'c_total', help: 'c', labelNames: ['a'] });
    for (const m of [metrics, memory]) {
      expect(codeOf(() => m.counter({ name: 'c_total', help: 'c', labelNames: ['b'] }))).toBe('INVALID_CONFIG');
      expect(codeOf(() => m.gauge({ name: 'bad name', help: 'c' }))).toBe('INVALID_CONFIG');
      expect(codeOf(() => m.counter({ name: 'c_total', help: 'c', labelNames: ['a'] }).inc({ b: 'x' }))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => m.counter({ name: 'c_total', help: 'c', labelNames: ['a'] }).inc({ a: 'x' }, -1))).toBe('INVALID_ARGUMENT');
    }
    expect(codeOf(() => metrics.counter({ name: 'taken_total', help: 'x' }))).toBe('INVALID_CONFIG');
  });

  it('validates its options', () => {
    expect(codeOf(() => createPrometheusMetrics({ prefix: 'bad-prefix' }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => createPrometheusMetrics({ registry: {} as never }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => createPrometheusMetrics({ extra: 1 } as never))).toBe('INVALID_CONFIG');
  });
});
