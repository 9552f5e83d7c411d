// Three fake clusters (testkit's fake kube-apiserver) for trying the example without
// real ones. `tsx dev/fake-clusters.ts` starts them, runs `node dist/main.js --cleanup`
// against them and exits with its code; `tsx dev/fake-clusters.ts --serve` prints
// `KUBECONFIG=<file>` and keeps them up until stdin closes. The DNS cluster (eu-west)
// gets external-dns's DNSEndpoint CRD, as installing external-dns would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsEndpointCrd, startFakeKubeApiServer, type FakeKubeApiServer } from '@meridian/testkit';

const servers: FakeKubeApiServer[] = [];
const dir = mkdtempSync(join(tmpdir(), 'meridian-k8s-regions-'));
const close = async (): Promise<void> => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
};
try {
  for (const name of ['eu-west', 'us-east', 'ap-south']) servers.push(await startFakeKubeApiServer({ name, deploymentReadyDelayMillis: 100 }));
  servers[0]!.seed(dnsEndpointCrd());
  // One file per cluster; KUBECONFIG lists them, as kubectl and client-node merge such a list.
  const kubeconfig = (await Promise.all(servers.map((s) => s.writeKubeconfig(dir)))).join(delimiter);
  if (process.argv.includes('--serve')) {
    console.log(`KUBECONFIG=${kubeconfig}`);
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.once('end', resolve));
  } else {
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, '--cleanup', ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, KUBECONFIG: kubeconfig } });
    process.exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  }
} finally {
  await close();
}
