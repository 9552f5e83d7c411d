import { createHash } from 'node:crypto';

/** What a lease blob's metadata says: the holder (empty when free), the fencing token and the expiry (epoch ms). */
export interface LeaseView {
  holder: string | undefined;
  token: number;
  expiresAt: number;
}

// Metadata names are C# identifiers and case-insensitive on the wire: lowercase only.
const HOLDER = 'meridianholder';
const TOKEN = 'meridiantoken';
const EXPIRES = 'meridianexpiresat';

/** Reads the view from blob metadata (missing or garbled fields read as free, token 0). */
export function readView(metadata: Record<string, string> | undefined): LeaseView {
  const m = metadata ?? {};
  const holder = m[HOLDER] ? decodeURIComponent(m[HOLDER]) : undefined;
  const token = Number(m[TOKEN] ?? 0);
  const expiresAt = Number(m[EXPIRES] ?? 0);
  return { holder, token: Number.isSafeInteger(token) && token > 0 ? token : 0, expiresAt: Number.isFinite(expiresAt) ? expiresAt : 0 };
}

/** Metadata for a view; the holder is URI-encoded because metadata values travel as HTTP header values. */
export function writeView(view: LeaseView): Record<string, string> {
  return { [HOLDER]: view.holder === undefined ? '' : encodeURIComponent(view.holder), [TOKEN]: String(view.token), [EXPIRES]: String(view.expiresAt) };
}

/** The blob lease id a holder uses for a lease name: a GUID derived from both, so any process acting as that holder can present it. */
export function leaseIdOf(name: string, holder: string): string {
  const h = createHash('sha256').update(`${name}\n${holder}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
