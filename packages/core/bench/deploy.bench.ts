// MultiRegionDeployer on the local provider: 8 real region processes deployed
// one at a time (concurrency 1, the baseline) and all at once, in one run.
import { MultiRegionDeployer } from '@meridian/core';
import { createLocalProvider } from '@meridian/providers-local';
import { median, seedRegions } from '@meridian/testkit';
import { writeResult } from './report.js';

const ROUNDS = 3;

async function deployOnce(concurrency: number): Promise<{ millis: number; speedup: number }> {
  const regions = seedRegions(8);
  const provider = createLocalProvider({ regions });
  try {
    const deployer = new MultiRegionDeployer({ provider, concurrency });
    const started = performance.now();
    const report = await deployer.deploy({ spec: { name: 'bench', regions: regions.map((r) => r.id) } });
    const millis = performance.now() - started;
    if (report.outcome !== 'completed') throw new Error(`deploy ${report.outcome}`);
    return { millis, speedup: report.speedup };
  } finally {
    await provider.stop();
  }
}

async function main(): Promise<void> {
  const serial: number[] = [];
  const parallel: number[] = [];
  const reported: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    serial.push((await deployOnce(1)).millis);
    const p = await deployOnce(8);
    parallel.push(p.millis);
    reported.push(p.speedup);
  }
  const result = {
    regions: 8,
    rounds: ROUNDS,
    serialMillis: Math.round(median(serial)),
    parallelMillis: Math.round(median(parallel)),
    measuredSpeedup: median(serial) / median(parallel),
    reportedSpeedup: median(reported),
  };
  console.log(`8 local regions: serial ${result.serialMillis} ms, parallel ${result.parallelMillis} ms: ${result.measuredSpeedup.toFixed(2)}× faster (the report says ${result.reportedSpeedup.toFixed(2)}×)`);
  console.log(`wrote ${writeResult('deploy', result)}`);
}

await main();
