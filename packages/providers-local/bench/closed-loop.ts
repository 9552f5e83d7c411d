// Closed-loop load in a process of its own, so the client does not share an event
// loop with the in-process Meridian front door (HAProxy and the regions have
// their own processes too): `node --import tsx bench/closed-loop.ts <url>
// <connections> <warmupMillis> <durationMillis>` keeps <connections> keep-alive
// connections busy (one request at a time each), then prints one JSON line.
import { Agent, request } from 'undici';

const [url = '', connectionsArg = '32', warmupArg = '500', durationArg = '3000'] = process.argv.slice(2);
const connections = Number(connectionsArg);
const warmupMillis = Number(warmupArg);
const durationMillis = Number(durationArg);
// A hard bound on the count as well as on time.
const MAX_REQUESTS = 5_000_000;

const agent = new Agent({ connections, keepAliveTimeout: 10_000 });
const latencies: number[] = [];
let errors = 0;
let sent = 0;
const start = performance.now();
const measureFrom = start + warmupMillis;
const end = measureFrom + durationMillis;

async function worker(): Promise<void> {
  while (sent < MAX_REQUESTS) {
    const before = performance.now();
    if (before >= end) return;
    sent++;
    let ok = false;
    try {
      const res = await request(`${url}/`, { dispatcher: agent, signal: AbortSignal.timeout(5_000) });
      await res.body.dump();
      ok = res.statusCode < 500;
    } catch {
      ok = false;
    }
    const after = performance.now();
    // Only requests started and finished inside the measured window count.
    if (before < measureFrom || after > end) continue;
    if (ok) latencies.push(after - before);
    else errors++;
  }
}

await Promise.all(Array.from({ length: connections }, () => worker()));
await agent.close();
latencies.sort((a, b) => a - b);
const pick = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    errors,
    seconds: durationMillis / 1000,
    requestsPerSecond: Math.round(latencies.length / (durationMillis / 1000)),
    p50Millis: Number(pick(0.5).toFixed(3)),
    p99Millis: Number(pick(0.99).toFixed(3)),
  })}\n`,
);
