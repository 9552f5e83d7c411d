import { CliError, EXIT } from './exit-codes.js';

const UNIT_BYTES: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Parses `500000`, `100MB`, `1.5GiB` (decimal KB/MB/GB as the design doc writes them, binary KiB/MiB/GiB) into bytes; anything else is a usage error. */
export function parseByteSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase() ?? '';
  const bytes = match && unit in UNIT_BYTES ? Math.round(Number(match[1]) * UNIT_BYTES[unit]!) : NaN;
  if (!Number.isFinite(bytes) || bytes <= 0) throw new CliError(`${what}: "${text}" is not a size; use bytes or a unit, e.g. 500000, 100KB, 100MB, 1GiB`, EXIT.USAGE, { code: 'INVALID_ARGUMENT' });
  return bytes;
}

/** Renders bytes per second for people: `100 MB/s`. */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined) return 'unlimited';
  for (const [unit, size] of [['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const) if (bytesPerSecond >= size) return `${Math.round((bytesPerSecond / size) * 100) / 100} ${unit}/s`;
  return `${bytesPerSecond} B/s`;
}
