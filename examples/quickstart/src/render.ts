import type { RegionHealth } from '@meridian/core';

const started = Date.now();

/** `[11:20:01.123 +3.2s]`: wall clock and time since the demo started. */
export function stamp(): string {
  const now = new Date();
  return `[${now.toISOString().slice(11, 23)} +${((now.getTime() - started) / 1000).toFixed(1)}s]`;
}

/** Prints a line with a timestamp. */
export function log(message: string): void {
  process.stdout.write(`${stamp()} ${message}\n`);
}

const columns = ['region', 'state', 'latency', 'availability', 'probes', 'reason'] as const;

/** A plain-text table of every region's health. */
export function healthTable(rows: RegionHealth[]): string {
  const cells = rows.map((h) => [
    h.regionId,
    h.state.toUpperCase(),
    h.latencyMillis === undefined ? '-' : `${h.latencyMillis.toFixed(1)} ms`,
    h.availability === undefined ? '-' : `${(h.availability * 100).toFixed(0)}%`,
    String(h.probes),
    h.reason.length > 48 ? `${h.reason.slice(0, 45)}...` : h.reason,
  ]);
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string => `  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`;
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
