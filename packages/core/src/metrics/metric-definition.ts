import { invalidConfig } from '../config/parse-options.js';
import { MeridianError } from '../errors/meridian-error.js';
import { DEFAULT_BUCKETS, type HistogramOptions, type MetricLabels } from './metrics.js';

/** Counter, gauge or histogram. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** A validated metric description, as implementations of `Metrics` keep it. */
export interface MetricDefinition {
  /** What kind of instrument. */
  readonly kind: MetricKind;
  /** Name (Prometheus rules: `[a-zA-Z_:][a-zA-Z0-9_:]*`). */
  readonly name: string;
  /** Help text. */
  readonly help: string;
  /** UCUM unit, when given. */
  readonly unit: string | undefined;
  /** Declared label names, in order. */
  readonly labelNames: readonly string[];
  /** Bucket bounds (histograms only), ascending. */
  readonly buckets: readonly number[] | undefined;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Validates a metric description for an implementation of `Metrics`: names and
 * label names by Prometheus' rules, no reserved `le` on histograms, buckets
 * finite and strictly ascending. Throws INVALID_CONFIG naming the problem.
 */
export function defineMetric(kind: MetricKind, options: HistogramOptions): MetricDefinition {
  const where = `${kind} ${JSON.stringify(String(options?.name))}`;
  const fail = (path: string, message: string, value: unknown): never => {
    throw invalidConfig(where, [{ path, message, value: JSON.stringify(value) ?? String(value) }]);
  };
  if (typeof options?.name !== 'string' || !NAME.test(options.name)) fail('name', 'must match [a-zA-Z_:][a-zA-Z0-9_:]*', options?.name);
  if (typeof options.help !== 'string' || options.help.length === 0) fail('help', 'must be a non-empty string', options.help);
  const labelNames = options.labelNames ?? [];
  if (!Array.isArray(labelNames)) fail('labelNames', 'must be an array of label names', labelNames);
  labelNames.forEach((label, index) => {
    if (typeof label !== 'string' || !LABEL.test(label) || label.startsWith('__')) fail(`labelNames[${index}]`, 'must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __', label);
    if (kind === 'histogram' && label === 'le') fail(`labelNames[${index}]`, '"le" is reserved for histogram buckets', label);
  });
  if (new Set(labelNames).size !== labelNames.length) fail('labelNames', 'must not repeat a name', labelNames);
  let buckets: readonly number[] | undefined;
  if (kind === 'histogram') {
    buckets = options.buckets ?? DEFAULT_BUCKETS;
    const ok = Array.isArray(buckets) && buckets.length > 0 && buckets.every((b, i) => Number.isFinite(b) && (i === 0 || b > buckets![i - 1]!));
    if (!ok) fail('buckets', 'must be finite numbers in strictly ascending order', buckets);
    buckets = Object.freeze([...buckets]);
  }
  return Object.freeze({ kind, name: options.name, help: options.help, unit: options.unit, labelNames: Object.freeze([...labelNames]), buckets });
}

/** True when two definitions describe the same instrument (kind, labels, buckets). */
export function sameMetric(a: MetricDefinition, b: MetricDefinition): boolean {
  return a.kind === b.kind && a.labelNames.join(',') === b.labelNames.join(',') && (a.buckets ?? []).join(',') === (b.buckets ?? []).join(',');
}

/** The INVALID_CONFIG error for a name already taken by a different instrument. */
export function metricConflict(existing: MetricDefinition, wanted: MetricDefinition): MeridianError {
  return invalidConfig(`${wanted.kind} ${JSON.stringify(wanted.name)}`, [
    {
      path: 'name',
      message: `already registered as a ${existing.kind} with labels [${existing.labelNames.join(', ')}]${existing.buckets ? ` and buckets [${existing.buckets.join(', ')}]` : ''}`,
      value: `a ${wanted.kind} with labels [${wanted.labelNames.join(', ')}]`,
    },
  ]);
}

/**
 * Checks one recording: every label declared and a string, the value finite
 * (and not negative for counters). Throws INVALID_ARGUMENT, as Prometheus
 * clients refuse the same things.
 */
export function checkRecording(definition: MetricDefinition, labels: MetricLabels | undefined, value: number): void {
  for (const [name, v] of Object.entries(labels ?? {})) {
    if (!definition.labelNames.includes(name)) {
      throw new MeridianError('INVALID_ARGUMENT', `${definition.name}: label "${name}" is not declared (declared: ${definition.labelNames.join(', ') || 'none'})`);
    }
    if (typeof v !== 'string') throw new MeridianError('INVALID_ARGUMENT', `${definition.name}: label "${name}" must be a string, got ${typeof v}`);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) throw new MeridianError('INVALID_ARGUMENT', `${definition.name}: value must be a number, got ${String(value)}`);
  if (definition.kind === 'counter' && value < 0) throw new MeridianError('INVALID_ARGUMENT', `${definition.name}: a counter cannot decrease (got ${value})`);
}

/** A stable key for a label set (sorted by name). */
export function seriesKey(labels: MetricLabels | undefined): string {
  if (!labels) return '';
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return names
    .sort()
    .map((n) => `${n}=${JSON.stringify(labels[n])}`)
    .join(',');
}
