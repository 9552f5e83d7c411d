// Runs fake clusters in a process of their own, as apiservers run apart from their
// clients (their CPU time does not count against the provider's event loop):
// `node --import tsx bench/fake-clusters.ts <count> <readyDelayMillis>` prints one JSON
// line with a kubeconfig per cluster, then reads latency changes (`latency <millis>`)
// from stdin, and stops when stdin closes.
import { createInterface } from 'node:readline';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '@meridian/testkit';

const [count = '4', readyDelayMillis = '50'] = process.argv.slice(2);
const servers: FakeKubeApiServer[] = [];
for (let i = 1; i <= Number(count); i++) servers.push(await startFakeKubeApiServer({ name: `bench-${i}`, deploymentReadyDelayMillis: Number(readyDelayMillis) }));
process.stdout.write(`${JSON.stringify({ clusters: servers.map((s) => ({ name: s.name, kubeconfig: s.kubeconfig() })) })}\n`);
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const latency = /^latency (\d+)$/.exec(line.trim());
  if (latency) for (const s of servers) s.latencyMillis = Number(latency[1]);
  process.stdout.write('ok\n');
});
input.on('close', () => void Promise.all(servers.map((s) => s.close())).then(() => process.exit(0)));
