// Snapshot codec throughput against its raw ingredients in the same run: JSON +
// deflate + AES-256-GCM done by hand, on the same 64 KB session states.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SnapshotCodec } from '@meridian/session-migration';

const SESSIONS = 2_000;
const key = randomBytes(32);

// A browser-like session: cookies, storage and some incompressible tokens, ~64 KB as JSON.
function session(i: number): Record<string, unknown> {
  const storage: Record<string, string> = {};
  for (let k = 0; k < 380; k++) storage[`key-${k}`] = `${'value '.repeat(20)}${randomBytes(24).toString('base64')}`;
  return { id: `s-${i}`, cookies: Array.from({ length: 20 }, (_, c) => ({ name: `c${c}`, value: randomBytes(16).toString('hex') })), storage, tabs: ['https://example.com/'] };
}

function mbPerSecond(bytes: number, millis: number): number {
  return bytes / 2 ** 20 / (millis / 1000);
}

const states = Array.from({ length: SESSIONS }, (_, i) => session(i));
const jsonBytes = states.reduce((sum, s) => sum + Buffer.byteLength(JSON.stringify(s)), 0);
const codec = new SnapshotCodec({ keys: [{ id: 'bench', key }], brotliAboveBytes: Number.MAX_SAFE_INTEGER });

function raw(): { encodeMs: number; decodeMs: number } {
  const out: Array<{ iv: Buffer; tag: Buffer; data: Buffer }> = [];
  let t = performance.now();
  for (const s of states) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(deflateRawSync(Buffer.from(JSON.stringify(s)))), cipher.final()]);
    out.push({ iv, tag: cipher.getAuthTag(), data });
  }
  const encodeMs = performance.now() - t;
  t = performance.now();
  for (const o of out) {
    const d = createDecipheriv('aes-256-gcm', key, o.iv);
    d.setAuthTag(o.tag);
    JSON.parse(inflateRawSync(Buffer.concat([d.update(o.data), d.final()])).toString());
  }
  return { encodeMs, decodeMs: performance.now() - t };
}

function meridian(): { encodeMs: number; decodeMs: number; encodedBytes: number } {
  let t = performance.now();
  const encoded = states.map((s) => codec.encode(s));
  const encodeMs = performance.now() - t;
  t = performance.now();
  for (const e of encoded) codec.decode(e);
  return { encodeMs, decodeMs: performance.now() - t, encodedBytes: encoded.reduce((a, b) => a + b.length, 0) };
}

raw();
meridian();
const r = [raw(), raw(), raw()].sort((a, b) => a.encodeMs + a.decodeMs - (b.encodeMs + b.decodeMs))[1]!;
const m = [meridian(), meridian(), meridian()].sort((a, b) => a.encodeMs + a.decodeMs - (b.encodeMs + b.decodeMs))[1]!;
const result = {
  benchmark: 'snapshot-codec',
  machine: { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, measuredAt: new Date().toISOString() },
  sessions: SESSIONS,
  averageJsonBytes: Math.round(jsonBytes / SESSIONS),
  averageEncodedBytes: Math.round(m.encodedBytes / SESSIONS),
  rawEncodeMBps: mbPerSecond(jsonBytes, r.encodeMs),
  rawDecodeMBps: mbPerSecond(jsonBytes, r.decodeMs),
  codecEncodeMBps: mbPerSecond(jsonBytes, m.encodeMs),
  codecDecodeMBps: mbPerSecond(jsonBytes, m.decodeMs),
  encodeRatioVsRaw: r.encodeMs / m.encodeMs,
  decodeRatioVsRaw: r.decodeMs / m.decodeMs,
};
console.log(`raw JSON+deflate+AES-GCM: encode ${result.rawEncodeMBps.toFixed(0)} MB/s, decode ${result.rawDecodeMBps.toFixed(0)} MB/s (baseline)`);
console.log(`SnapshotCodec (+ header, SHA-256, checks): encode ${result.codecEncodeMBps.toFixed(0)} MB/s = ${result.encodeRatioVsRaw.toFixed(2)}x, decode ${result.codecDecodeMBps.toFixed(0)} MB/s = ${result.decodeRatioVsRaw.toFixed(2)}x`);
console.log(`${result.averageJsonBytes} B of JSON per session -> ${result.averageEncodedBytes} B encoded`);
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}codec.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(`written ${dir}codec.json`);
