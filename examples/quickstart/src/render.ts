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

/** One routed sample client. */
export interface RoutedClient {
  ip: string;
  where: string;
  decision: { region: string; distanceKm?: number; reason: string };
}

/** A plain-text table of routing decisions. */
export function routeTable(rows: RoutedClient[]): string {
  const cells = rows.map((r) => [r.ip, r.where, r.decision.region, r.decision.distanceKm === undefined ? '-' : `${Math.round(r.decision.distanceKm)} km`, r.decision.reason]);
  return table(['client', 'where', 'region', 'distance', 'reason'], cells);
}

function table(header: string[], cells: string[][]): string {
  const widths = header.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string => `  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
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
  return table([...columns], cells);
}
