// Cost of checkpoints: 1 000 sessions of 64 KB, one round writing all of them,
// then a round with 10 % changed, into the memory and the file store. CPU ms and
// store bytes per round, as a ratio of the raw SnapshotCodec encode of the same
// states measured in the same process (the floor: a checkpoint is an encode plus
// bookkeeping and a store write).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { SessionAdapter, SnapshotStore } from '@meridian/core';
import { FileSnapshotStore, MemorySnapshotStore, SessionCheckpointer, SnapshotCodec } from '@meridian/session-migration';
import { writeBenchResult } from '@meridian/testkit';

const SESSIONS = 1_000;
const CHANGED = SESSIONS / 10;
const codec = new SnapshotCodec({ keys: [{ id: 'bench', key: randomBytes(32) }] });

// A browser-like session: cookies, storage and some incompressible tokens, ~64 KB as JSON (as codec.bench.ts).
function session(i: number, n = 0): Record<string, unknown> {
  const storage: Record<string, string> = {};
  for (let k = 0; k < 380; k++) storage[`key-${k}`] = `${'value '.repeat(20)}${randomBytes(24).toString('base64')}`;
  return { id: `s-${i}`, n, cookies: Array.from({ length: 20 }, (_, c) => ({ name: `c${c}`, value: randomBytes(16).toString('hex') })), storage };
}

function sessions(withVersion: boolean) {
  const held = Array.from({ length: SESSIONS }, (_, i) => ({ state: session(i), version: 1 }));
  const adapter: SessionAdapter = {
    snapshot: async (ref) => held[Number(ref.id.slice(2))]!.state,
    suspend: async () => undefined,
    restore: async () => undefined,
    activate: async () => undefined,
    discard: async () => undefined,
    ...(withVersion ? { version: async (ref: { id: string }) => held[Number(ref.id.slice(2))]!.version } : {}),
  };
  const change = (i: number) => {
    held[i] = { state: session(i, 1), version: held[i]!.version + 1 };
  };
  const source = { sessions: () => held.map((_, i) => ({ id: `s-${i}`, region: 'bench' })) };
  return { held, adapter, change, source };
}

function cpuMillis(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function measure(fn: () => Promise<{ bytes: number; written: number; unchanged: number }>) {
  const cpu = cpuMillis();
  const wall = performance.now();
  const r = await fn();
  return { cpuMillis: cpuMillis() - cpu, wallMillis: performance.now() - wall, storeBytes: r.bytes, written: r.written, unchanged: r.unchanged };
}

async function scenario(name: string, store: SnapshotStore, withVersion: boolean) {
  const s = sessions(withVersion);
  // The floor, on the same states in the same process: SnapshotCodec.encode alone (before and after; the lower counts).
  const rawEncode = () => {
    const cpu = cpuMillis();
    let bytes = 0;
    for (const { state } of s.held) bytes += codec.encode(state).length;
    return { cpuMillis: cpuMillis() - cpu, bytes };
  };
  const rawBefore = rawEncode();
  const checkpointer = new SessionCheckpointer({ adapter: s.adapter, codec, store, source: s.source });
  const all = await measure(() => checkpointer.checkpointNow());
  for (let i = 0; i < SESSIONS; i += SESSIONS / CHANGED) s.change(i);
  const tenth = await measure(() => checkpointer.checkpointNow());
  await checkpointer.close();
  const rawAfter = rawEncode();
  const raw = rawAfter.cpuMillis < rawBefore.cpuMillis ? rawAfter : rawBefore;
  const row = {
    store: name,
    adapterVersion: withVersion,
    rawEncodeAll: raw,
    allChanged: { ...all, cpuRatioVsRawEncode: all.cpuMillis / raw.cpuMillis, bytesRatioVsRawEncode: all.storeBytes / raw.bytes },
    tenPercentChanged: { ...tenth, cpuRatioVsRawEncode: tenth.cpuMillis / raw.cpuMillis, bytesRatioVsRawEncode: tenth.storeBytes / raw.bytes },
  };
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  console.log(
    `${name.padEnd(6)} version=${String(withVersion).padEnd(5)} all: ${all.cpuMillis.toFixed(0)} CPU ms (${row.allChanged.cpuRatioVsRawEncode.toFixed(2)}x raw encode ${raw.cpuMillis.toFixed(0)} ms), ` +
      `${(all.storeBytes / 2 ** 20).toFixed(1)} MiB (${row.allChanged.bytesRatioVsRawEncode.toFixed(2)}x) | 10 % changed: ${tenth.cpuMillis.toFixed(0)} CPU ms (${pct(row.tenPercentChanged.cpuRatioVsRawEncode)} of raw), ` +
      `${(tenth.storeBytes / 2 ** 20).toFixed(1)} MiB, ${tenth.written} written`,
  );
  return row;
}

async function main(): Promise<void> {
  const started = performance.now();
  // Warm up the codec and the JIT on a few sessions.
  for (let i = 0; i < 50; i++) codec.decode(codec.encode(session(i)));
  const dir = mkdtempSync(join(os.tmpdir(), 'meridian-bench-checkpoints-'));
  try {
    const rows = [
      await scenario('memory', new MemorySnapshotStore(), true),
      await scenario('file', new FileSnapshotStore(dir), true),
      await scenario('memory', new MemorySnapshotStore(), false),
    ];
    const averageJsonBytes = Math.round(JSON.stringify(session(0)).length);
    const path = writeBenchResult(new URL('./results/', import.meta.url), 'checkpoint', {
      sessions: SESSIONS,
      changedInSecondRound: CHANGED,
      averageJsonBytes,
      rows,
      totalWallMillis: Math.round(performance.now() - started),
    });
    console.log(`written ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
