// Runs the built demo exactly as `npm run demo` does and checks the story it tells.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('quickstart demo', () => {
  it('shows the failover, the failback after hold-down, a drill that rolls back and data converging after a partition, losing no request outside the outage, then exits 0', () => {
    expect(existsSync(main), `${main} is missing: build first (pnpm -r build)`).toBe(true);
    const run = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = run.stdout;
    const order = [
      /us-east +running +http:\/\/127\.0\.0\.1:\d+/,
      /Front door .* at http:\/\/127\.0\.0\.1:\d+/,
      /EVENT region:healthy +ru-central +unknown -> healthy/,
      /Routing sample clients by geography and latency/,
      /8\.8\.8\.8 +California, US +us-east +\d+ km +nearest eligible region/,
      /81\.2\.69\.160 +London, GB +eu-west +\d+ km/,
      /10\.0\.0\.7 +private network +us-east +- +private address: fallback region/,
      /Registered 400 live sessions: \{"us-east":100,"eu-west":100,"ap-south":100,"ru-central":100\}; checkpointed every second/,
      /Killing us-east/,
      // The front door sees the refused connections first: passive detection ejects us-east.
      /EJECTED  us-east by passive detection: 3 consecutive gateway failures/,
      /EVENT region:unhealthy us-east +healthy -> unhealthy: ejected by passive outlier detection/,
      /FAILOVER completed automatic us-east -> eu-west/,
      /Traffic moved off us-east \d+ ms after the kill \(first request served by eu-west without a retry\)/,
      // Requests that finished between the snapshot and the kill count for us-east too; none failed.
      /Users during the outage and failover: \d+ served, 0 failed \((us-east \d+, )?eu-west \d+\)/,
      /Sessions of us-east after the kill: 100 recovered \(max staleness \d+ ms\), 0 lost — restored from their checkpoints in \d+ ms; sessions now \{"us-east":0,/,
      /The same clients routed again, us-east unhealthy/,
      /8\.8\.8\.8 +California, US +eu-west/,
      /EVENT region:degraded +ap-south +healthy -> degraded: latency EWMA \d+ ms > 150 ms/,
      /EVACUATED ap-south: [1-9]\d* moved, 0 failed; sessions now \{[^}]*\}, p50 \d+ ms, p95 \d+ ms/,
      /EVENT region:healthy +us-east +unhealthy -> healthy: passive ejection ended early: 2 successful probes in a row/,
      /FAILBACK scheduled us-east/,
      /RECONCILED us-east: 100 stale session copies it came back with discarded, 0 reactivated/,
      /FAILOVER completed failback +eu-west -> us-east/,
      /Users while failing back: \d+ served, 0 failed/,
      /DRILL .*target served: true, rolled back: true/,
      /Users during the drill: \d+ served, 0 failed/,
      /SYNC +40 writes in 4 regions replicated everywhere in \d+ ms/,
      /Partitioning ru-central/,
      /SYNC lag ru-central \d+ ms behind, [1-9]\d* changes pending, reachable: false/,
      /EVENT sync:lag +ru-central over 1000 ms/,
      /Healing ru-central/,
      /EVENT sync:conflict +inventory:sku-1 in [a-z-]+: 2 concurrent writes, kept \{"stock":3,"by":"ru-central"\} from ru-central/,
      /EVENT sync:lag +ru-central back in step/,
      /SYNC +converged in \d+ ms: 4 regions identical \(71 keys\); 1 conflict resolved \(latest-wins\): inventory:sku-1 = \{"stock":3,"by":"ru-central"\}/,
      /Done: the killed region went unhealthy and came back; traffic failed over, its sessions were recovered elsewhere, traffic failed back, the drill rolled back, and the data converged after a partition/,
    ];
    let from = 0;
    for (const pattern of order) {
      const match = pattern.exec(out.slice(from));
      expect(match, `expected ${pattern} after offset ${from} in:\n${out}`).not.toBeNull();
      from += match!.index + match![0].length;
    }
    // Each line is timestamped.
    expect(out.split('\n').filter((l) => l.startsWith('[')).every((l) => /^\[\d\d:\d\d:\d\d\.\d{3} \+\d+\.\ds\]/.test(l))).toBe(true);
  });
});
