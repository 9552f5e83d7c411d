import { MAX_TIMER_MILLIS } from '@meridian/core';
import { CliError, EXIT } from './exit-codes.js';

const UNIT_MILLIS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Parses `500ms`, `30s`, `5m`, `1h`, `1m30s` into milliseconds, at most 2^31-1; anything else is a usage error. */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(PART)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * UNIT_MILLIS[match[2]!]!;
    consumed += match[0].length;
  }
  if (trimmed.length === 0 || consumed !== trimmed.length || !(total > 0)) {
    throw new CliError(`${what}: "${text}" is not a duration; use a number with a unit, e.g. 500ms, 30s, 5m, 1h or 1m30s`, EXIT.USAGE);
  }
  const millis = Math.round(total);
  if (millis > MAX_TIMER_MILLIS) {
    throw new CliError(`${what}: "${text}" is longer than ${MAX_TIMER_MILLIS} ms (about 24.8 days), the longest a Node timer waits`, EXIT.USAGE);
  }
  return millis;
}

/** Renders milliseconds for people: `850 ms`, `12.3 s`, `5 min`. */
export function formatMillis(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
