// Deploy to 4 fake clusters, each answering every request after a fixed simulated
// apiserver latency, one cluster at a time (concurrency 1, the baseline) and all at
// once, in the same run. Each deploy applies 3 objects with server-side apply and
// waits for the Deployment to become Available (seen through the provider's watch).
// The fakes run in a child process, as apiservers run apart from their clients.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createKubernetesProvider, type KubernetesProvider } from '../src/index.js';
import { median, timedDeploy, writeBenchResult } from '@meridian/testkit';

const CLUSTERS = 4;
const LATENCIES_MILLIS = [20, 50];
const READY_DELAY_MILLIS = 50;
const ROUNDS = 7;
const GOAL = 3.5;

interface Fakes {
  clusters: Array<{ name: string; kubeconfig: string }>;
  setLatency(millis: number): Promise<void>;
  stop(): void;
}

async function startFakes(): Promise<Fakes> {
  const script = fileURLToPath(new URL('./fake-clusters.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(CLUSTERS), String(READY_DELAY_MILLIS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const timer = setTimeout(() => child.kill(), 30_000);
    const { value, done } = await lines.next();
    clearTimeout(timer);
    if (done) throw new Error('the fake clusters stopped');
    return value as string;
  };
  const { clusters } = JSON.parse(await next()) as Pick<Fakes, 'clusters'>;
  return {
    clusters,
    async setLatency(millis) {
      child.stdin!.write(`latency ${millis}\n`);
      await next();
    },
    stop: () => child.stdin!.end(),
  };
}

/** One timed deploy of every region of the provider. */
function deployOnce(provider: KubernetesProvider, name: string): Promise<number> {
  return timedDeploy(provider, name, provider.regionIds());
}

async function main(): Promise<void> {
  const fakes = await startFakes();
  const regions = Object.fromEntries(fakes.clusters.map((c) => [c.name, { kubeconfig: c.kubeconfig, location: { lat: 0, lon: 0 } }]));
  // Long-lived providers, as in a host app: connections and watches are set up by a warm-up deploy, not timed.
  const serialProvider = createKubernetesProvider({ regions, image: 'registry.example.com/bench:1', concurrency: 1 });
  const parallelProvider = createKubernetesProvider({ regions, image: 'registry.example.com/bench:1' });
  const runs = [];
  try {
    await deployOnce(serialProvider, 'warmup-serial');
    await deployOnce(parallelProvider, 'warmup-parallel');
    for (const latencyMillis of LATENCIES_MILLIS) {
      await fakes.setLatency(latencyMillis);
      const serial: number[] = [];
      const parallel: number[] = [];
      // Every round deploys a new app, so each Deployment really rolls out.
      for (let round = 0; round < ROUNDS; round++) {
        serial.push(await deployOnce(serialProvider, `serial-${latencyMillis}-${round}`));
        parallel.push(await deployOnce(parallelProvider, `parallel-${latencyMillis}-${round}`));
      }
      const speedup = median(serial) / median(parallel);
      runs.push({
        latencyMillis,
        serialMillis: Math.round(median(serial)),
        parallelMillis: Math.round(median(parallel)),
        speedup: Number(speedup.toFixed(2)),
        serialSamplesMillis: serial.map(Math.round),
        parallelSamplesMillis: parallel.map(Math.round),
      });
      console.log(
        `${CLUSTERS} fake clusters, ${latencyMillis} ms apiserver latency: serial ${Math.round(median(serial))} ms, parallel ${Math.round(median(parallel))} ms: ${speedup.toFixed(2)}× faster (goal ≥ ${GOAL}×)`,
      );
    }
  } finally {
    await serialProvider.close();
    await parallelProvider.close();
    fakes.stop();
  }
  console.log(`wrote ${writeBenchResult(new URL('./results/', import.meta.url), 'deploy', { clusters: CLUSTERS, deploymentReadyDelayMillis: READY_DELAY_MILLIS, rounds: ROUNDS, goal: GOAL, runs })}`);
}

await main();
