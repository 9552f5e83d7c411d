// Runs the built example against three fake clusters, as `npm run demo` does, and
// checks the story it tells.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsEndpointCrd, startFakeKubeApiServer, type FakeKubeApiServer } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function runMain(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('examples/k8s-regions against three fake clusters', () => {
  let servers: FakeKubeApiServer[] = [];
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8s-regions-test-'));
    servers = [];
    for (const name of ['eu-west', 'us-east', 'ap-south']) servers.push(await startFakeKubeApiServer({ name, deploymentReadyDelayMillis: 50 }));
    servers[0]!.seed(dnsEndpointCrd());
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys to the three contexts, fails over when the primary scales to 0, fails back, and cleans up', async () => {
    expect(existsSync(main), `${main} is missing: build first (pnpm -r build)`).toBe(true);
    const kubeconfig = (await Promise.all(servers.map((s) => s.writeKubeconfig(dir)))).join(delimiter);
    const run = await runMain(['--cleanup'], { KUBECONFIG: kubeconfig });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const order = [
      /Deploying shop \(registry\.example\.com\/shop:1\.0\.0\) to eu-west \(context eu-west\), us-east \(context us-east\), ap-south \(context ap-south\)/,
      /DEPLOYED eu-west +running +https:\/\/eu-west\.shop\.example\.com/,
      /DEPLOYED ap-south running +https:\/\/ap-south\.shop\.example\.com/,
      /LEASE +acquired by .+ \(token 1\)/,
      /TRAFFIC +eu-west=100 us-east=0 ap-south=0 \(DNSEndpoint in eu-west\/default, fencing token 1\)/,
      /Simulating an outage: scaling eu-west to 0 replicas/,
      /EVENT +region:unhealthy eu-west +healthy -> unhealthy: 2 consecutive failed probes \(last: stopped: scaled to 0 replicas\)/,
      /TRAFFIC +eu-west=0 us-east=100 ap-south=0/,
      /FAILOVER completed automatic eu-west -> us-east/,
      /EVENT +region:healthy +eu-west +unhealthy -> healthy/,
      /FAILBACK scheduled eu-west/,
      /TRAFFIC +eu-west=100 us-east=0 ap-south=0/,
      /FAILOVER completed failback us-east -> eu-west/,
      /Cleaned up: shop deleted from 3 clusters/,
      /Done: shop was deployed to 3 clusters; eu-west failed over to the next region and back through DNSEndpoint weights, and removed again/,
    ];
    let from = 0;
    for (const pattern of order) {
      const match = pattern.exec(run.stdout.slice(from));
      expect(match, `expected ${pattern} after offset ${from} in:\n${run.stdout}`).not.toBeNull();
      from += match!.index + match![0].length;
    }
    // The weighted records the failback left, and the Lease the manager held.
    const dns = servers[0]!.read('externaldns.k8s.io/v1alpha1', 'DNSEndpoint', 'shop-example-com', 'default')!;
    expect((dns['spec'] as { endpoints: Array<{ setIdentifier: string }> }).endpoints.map((e) => e.setIdentifier)).toEqual(['eu-west']);
    expect(servers[0]!.read('coordination.k8s.io/v1', 'Lease', 'shop-failover', 'default')).toBeDefined();
    for (const s of servers) expect(s.read('apps/v1', 'Deployment', 'shop', 'default')).toBeUndefined();
  });

  it('an unknown context fails with INVALID_CONFIG naming the region and the contexts there are', async () => {
    const kubeconfig = (await Promise.all(servers.map((s) => s.writeKubeconfig(dir)))).join(delimiter);
    const run = await runMain(['--context', 'us-east=prod-us'], { KUBECONFIG: kubeconfig });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/k8s-regions failed \[INVALID_CONFIG\]: .*regions\.us-east\.context: region "us-east": no kubeconfig context "prod-us" \(contexts available: eu-west, us-east, ap-south\)/s);
  });
});
