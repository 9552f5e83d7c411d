// The cost of `compression: 'auto'` on a sync frame of incompressible binary values (a directory store's chunk
// bytes: random, compressed or encrypted data), in one process: encodeBatch of the same 1 MiB frame with `auto`
// beside `none`, the floor (every frame is copied once and CRC-checked whatever its compression). `auto` first
// judges a 16 KiB sample; what that judgement costs is the ratio's excess over 1. Then a compressible frame, to show
// `auto` still compresses what it should.
import { randomBytes } from 'node:crypto';
import { encodeBatch } from '@meridian/core/spi';
import { median } from '@meridian/testkit';
import { keptBefore, writeResult } from './report.js';

const FRAMES = Number(process.env.FRAMES ?? 300);
const RUNS = Number(process.env.RUNS ?? 5);
const version = '000000000000001.000000.us-east';
const frameOf = (value: () => Buffer) => Array.from({ length: 64 }, (_, i) => ({ key: `chunk:${i}`, value: value(), deleted: false, version, origin: 'us-east', vv: { 'us-east': version } }));

/** CPU time of this process per frame (the thread pool's included), and what the frame came out as. */
async function perFrame(records: ReturnType<typeof frameOf>, compression: 'auto' | 'none'): Promise<{ cpuMillis: number; encoding: string; ratio: number }> {
  let last = await encodeBatch(records, { compression });
  const before = process.cpuUsage();
  for (let i = 0; i < FRAMES; i++) last = await encodeBatch(records, { compression });
  const used = process.cpuUsage(before);
  return { cpuMillis: (used.user + used.system) / 1000 / FRAMES, encoding: last.encoding, ratio: last.frame.length / last.rawBytes };
}

async function main(): Promise<void> {
  const random = frameOf(() => randomBytes(16_384));
  const samples = { auto: [] as number[], none: [] as number[], ratio: [] as number[] };
  let encoding = '';
  for (let run = 0; run < RUNS; run++) {
    const none = await perFrame(random, 'none');
    const auto = await perFrame(random, 'auto');
    encoding = auto.encoding;
    samples.none.push(none.cpuMillis);
    samples.auto.push(auto.cpuMillis);
    samples.ratio.push(auto.cpuMillis / none.cpuMillis);
  }
  const logs = await perFrame(frameOf(() => Buffer.alloc(16_384, 'GET /index.html 200 1234\n')), 'auto');
  const result = {
    frame: '64 binary values of 16 KiB (1 MiB) per frame',
    framesPerRun: FRAMES,
    runs: RUNS,
    incompressible: {
      noneCpuMillisPerFrame: Number(median(samples.none).toFixed(3)),
      autoCpuMillisPerFrame: Number(median(samples.auto).toFixed(3)),
      autoEncoding: encoding,
      ratioAutoToNone: Number(median(samples.ratio).toFixed(3)),
      ratioSamples: samples.ratio.map((r) => Number(r.toFixed(3))),
    },
    compressible: { autoEncoding: logs.encoding, frameToRawRatio: Number(logs.ratio.toFixed(4)), autoCpuMillisPerFrame: Number(logs.cpuMillis.toFixed(3)) },
  };
  console.log(
    `incompressible 1 MiB frame: auto ${result.incompressible.autoCpuMillisPerFrame} ms CPU a frame (${encoding}) vs none ${result.incompressible.noneCpuMillisPerFrame} ms = ${result.incompressible.ratioAutoToNone}× the floor (runs: ${result.incompressible.ratioSamples.join(', ')}); compressible frame: ${logs.encoding}, ${(logs.ratio * 100).toFixed(2)} % of its raw size`,
  );
  console.log(`wrote ${writeResult('frame-encode', { ...keptBefore('frame-encode'), ...result })}`);
}

await main();
