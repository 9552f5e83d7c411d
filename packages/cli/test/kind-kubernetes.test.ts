// `provider.kind: kubernetes` end to end: the built binary against a real agent
// subprocess, three clusters played by testkit's fake kube-apiserver (one
// kubeconfig context each, listed in $KUBECONFIG as kubectl merges them).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { LABEL_MANAGED_BY } from '@meridian/providers-k8s';
import { dnsEndpointCrd, getFreePort, startFakeKubeApiServer, type FakeKubeApiServer } from '@meridian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, cli, ensureBuilt, meridian, meridianJson, startAgent, until, weightsOf, type AgentProcess } from './cli-harness.js';

const IDS = ['eu-west', 'us-east', 'ap-south'] as const;
const dir = mkdtempSync(join(tmpdir(), 'meridian-kind-k8s-'));
const servers: Record<string, FakeKubeApiServer> = {};
let env: NodeJS.ProcessEnv;
let kubeconfigs: string[] = [];
let agent: AgentProcess | undefined;

function config(port: number, extra: { provider?: string } = {}): string {
  return `# written by kind-kubernetes.test.ts
app:
  name: shop
  env: { LOG_LEVEL: info }
provider:
  kind: kubernetes
  image: registry.example.com/shop:1.0.0
  namespace: default
  dns:
    dnsName: shop.example.com
    ttl: 30
  regions:
    eu-west: { endpoint: "https://eu-west.shop.example.com" }
    us-east: { endpoint: "https://us-east.shop.example.com" }
    ap-south: { endpoint: "https://ap-south.shop.example.com" }
${extra.provider ?? ''}regions:
  - id: eu-west
    location: { lat: 53.3, lon: -6.2 }
    price: { hourly: 0.12, currency: USD }
    timezone: Europe/Dublin
  - id: us-east
    location: { lat: 37.5, lon: -77.5 }
    price: { hourly: 0.10, currency: USD }
  - id: ap-south
    location: { lat: 19.1, lon: 72.9 }
    price: { hourly: 0.15, currency: USD }
    replicas: 2
health:
  intervalMillis: 300
  timeoutMillis: 250
  failuresBeforeUnhealthy: 3
  successesBeforeHealthy: 1
failover:
  drainMillis: 0
  lease: { ttlMillis: 3000 }
  failback: { holdDownMillis: 60000 }
agent:
  port: ${port}
`;
}

/**
 * What is left of the app in one cluster: Meridian-labelled Deployments,
 * Services and ConfigMaps, as kubectl lists them when it is installed (run
 * asynchronously: the fake apiserver answers from this very process), else read one by one.
 */
async function leftIn(id: string): Promise<string[]> {
  const server = servers[id]!;
  if (existsSync('/usr/bin/kubectl')) {
    const { stdout: out } = await promisify(execFile)('kubectl', ['--kubeconfig', kubeconfigs[IDS.indexOf(id as (typeof IDS)[number])]!, 'get', 'deployments,services,configmaps', '-A', '-l', `${LABEL_MANAGED_BY}=meridian`, '-o', 'name'], { encoding: 'utf8', timeout: 20_000 });
    return out.split('\n').filter(Boolean);
  }
  return [['apps/v1', 'Deployment', 'shop'], ['v1', 'Service', 'shop'], ['v1', 'ConfigMap', 'shop-region']].filter(([v, k, n]) => server.read(v!, k!, n!, 'default')).map(([, k, n]) => `${k}/${n}`);
}

const dnsRecords = (): string[] | undefined => {
  const object = servers['eu-west']!.read('externaldns.k8s.io/v1alpha1', 'DNSEndpoint', 'shop-example-com', 'default');
  return object ? (object['spec'] as { endpoints: Array<{ setIdentifier: string }> }).endpoints.map((e) => e.setIdentifier) : undefined;
};

const run = (args: string[], cwd = dir) => meridian(cwd, env, args);
const json = <T = any>(args: string[], cwd = dir) => meridianJson<T>(cwd, env, args);

beforeAll(async () => {
  ensureBuilt();
  for (const id of IDS) servers[id] = await startFakeKubeApiServer({ name: id, deploymentReadyDelayMillis: 20 });
  servers['eu-west']!.seed(dnsEndpointCrd());
  kubeconfigs = await Promise.all(IDS.map((id) => servers[id]!.writeKubeconfig(dir)));
  env = { KUBECONFIG: kubeconfigs.join(delimiter) };
  writeFileSync(join(dir, 'meridian.config.yaml'), config(await getFreePort()));
  agent = await startAgent(dir, env);
}, 120_000);

afterAll(async () => {
  try {
    if (agent) {
      expect(await agent.stop()).toBe(0);
      expect(agent.log()).toMatch(/SIGTERM: shutting down[\s\S]*stopped; the kubernetes deployment stays/);
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

describe('meridian on provider.kind kubernetes (three fake clusters)', () => {
  it('deploys the app to each context: status shows every region running, healthy, with the home region carrying traffic', async () => {
    const s = await json(['status']);
    expect(s.provider).toBe('k8s');
    expect(s.frontDoor).toBeUndefined();
    expect(s.regions.map((r: any) => [r.id, r.health, r.deploy.status, r.deploy.state, r.deploy.endpoint])).toEqual([
      ['eu-west', 'healthy', 'completed', 'running', 'https://eu-west.shop.example.com'],
      ['us-east', 'healthy', 'completed', 'running', 'https://us-east.shop.example.com'],
      ['ap-south', 'healthy', 'completed', 'running', 'https://ap-south.shop.example.com'],
    ]);
    expect(s.failover).toMatchObject({ mode: 'active-passive', home: 'eu-west', isLeader: true });
    expect(weightsOf(s)).toEqual({ 'eu-west': 100, 'us-east': 0, 'ap-south': 0 });
    expect(s.sessionsSupported).toBe(false);
    // What the clusters hold: the app in each (replicas from the config), the weighted record and the Lease in the DNS region's.
    for (const id of IDS) {
      const deployment = servers[id]!.read('apps/v1', 'Deployment', 'shop', 'default')!;
      expect((deployment['spec'] as { replicas: number }).replicas).toBe(id === 'ap-south' ? 2 : 1);
    }
    expect(dnsRecords()).toEqual(['eu-west']);
    expect(servers['eu-west']!.read('coordination.k8s.io/v1', 'Lease', 'shop-failover', 'default')).toBeDefined();
    const health = await json(['health']);
    expect(health.regions.every((h: any) => h.state === 'healthy' && h.lastProbe.ok)).toBe(true);
  });

  it('a second agent on the same config deploys nothing new and never acts: it does not get the Lease', async () => {
    const other = join(dir, 'second');
    mkdirSync(other);
    writeFileSync(join(other, 'meridian.config.yaml'), config(await getFreePort()));
    const second = await startAgent(other, env);
    try {
      const s = await json(['status'], other);
      expect(s.failover.isLeader).toBe(false);
      const refused = await run(['failover', '--to', 'us-east'], other);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/lease|leader/i);
      expect(dnsRecords()).toEqual(['eu-west']);
      expect((await json(['status'])).failover.isLeader).toBe(true);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 120_000);

  it('failover --dry-run changes nothing; failover moves the DNS weight; failback brings it home', async () => {
    const dry = await json(['failover', '--to', 'us-east', '--dry-run']);
    expect(dry.plan).toMatchObject({ to: 'us-east', wouldSucceed: true });
    expect(dnsRecords()).toEqual(['eu-west']);
    const report = await json(['failover', '--to', 'us-east']);
    expect(report).toMatchObject({ kind: 'planned', to: 'us-east', outcome: 'completed' });
    expect(dnsRecords()).toEqual(['us-east']);
    expect(weightsOf(await json(['status']))).toEqual({ 'eu-west': 0, 'us-east': 100, 'ap-south': 0 });
    const back = await json(['failback']);
    expect(back).toMatchObject({ kind: 'failback', to: 'eu-west', outcome: 'completed' });
    expect(dnsRecords()).toEqual(['eu-west']);
  }, 60_000);

  it('drill: traffic goes to the target for the duration and rolls back on its own', async () => {
    const drill = await json(['drill', '--to', 'ap-south', '--duration', '300ms']);
    expect(drill).toMatchObject({ to: 'ap-south', rolledBack: true, targetServed: true });
    expect(dnsRecords()).toEqual(['eu-west']);
    expect(weightsOf(await json(['status']))).toEqual({ 'eu-west': 100, 'us-east': 0, 'ap-south': 0 });
  }, 60_000);

  it('costs: declared prices, each region per month against the home region, a recommendation, and --optimize', async () => {
    const view = await json(['costs']);
    expect(view.source).toMatch(/declared in the config/);
    expect(view.comparison).toMatchObject({ baseline: 'eu-west', recommendation: { regionId: 'us-east', monthlySaving: 14.6 } });
    expect(view.comparison.regions.map((r: any) => [r.regionId, r.monthly, r.label])).toEqual([
      ['eu-west', 87.6, 'baseline'],
      ['us-east', 73, '17% cheaper'],
      ['ap-south', 109.5, '25% more expensive'],
    ]);
    const human = await run(['costs']);
    expect(human.stdout).toMatch(/eu-west: +87\.60 USD\/month \(baseline\)/);
    expect(human.stdout).toMatch(/recommendation: Deploy to us-east for cost savings/);
    const opt = await json(['costs', '--optimize', '--count', '2', '--max-cost', '0.13']);
    expect(opt.optimize.suggested.sort()).toEqual(['eu-west', 'us-east']);
  });

  it('deploy --auto places by distance and price, and deploys the picks to their clusters', async () => {
    const report = await json(['deploy', '--auto', '--count', '1', '--near', '40.7,-74.0', '--max-cost', '0.11']);
    expect(report.outcome).toBe('completed');
    expect(report.regions.map((r: any) => r.regionId)).toEqual(['us-east']);
    const again = await json(['deploy', '--regions', 'eu-west,ap-south']);
    expect(again.regions.map((r: any) => [r.regionId, r.status])).toEqual([
      ['eu-west', 'completed'],
      ['ap-south', 'completed'],
    ]);
  }, 60_000);

  it('session commands and sync answer coded errors: the kind has no session adapter and no replica store', async () => {
    for (const args of [['sessions'], ['sessions', 'add', 's1', '--region', 'eu-west'], ['migrate', 's1', '--to', 'us-east'], ['evacuate', 'eu-west']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(7);
      expect(r.stderr).toMatch(/the kubernetes provider has no session adapter/);
    }
    const sync = await run(['sync', 'status']);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toMatch(/sync is not enabled/);
  });

  it('Ctrl-C on a deploy (no terminal) cancels it on the agent: what it had made in the cluster is removed, exit 6', async () => {
    expect(await json(['destroy', 'ap-south', '--yes'])).toMatchObject({ destroyed: ['ap-south'] });
    // The rollout waits a minute: the Ctrl-C lands while ap-south's Deployment is made and not Available yet.
    servers['ap-south']!.setDeploymentReadyDelay(60_000);
    try {
      const child = spawn(process.execPath, [cli, 'deploy', '--regions', 'ap-south'], { cwd: dir, env: { ...baseEnv, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Once the operation runs on the agent and has made the Deployment (which then waits for its rollout).
      await until('the deploy to be running with ap-south\'s Deployment made', async () => /started on the agent/.test(stderr) && servers['ap-south']!.read('apps/v1', 'Deployment', 'shop', 'default') !== undefined);
      child.kill('SIGINT');
      expect(await exit, stderr).toBe(6);
      expect(stderr).toMatch(/deploy (\S+) started on the agent \(Ctrl-C to cancel it\)/);
      expect(stderr).toMatch(/cancelling deploy \S+ on the agent/);
      expect(stderr).toMatch(/meridian: deploy \S+ was cancelled on the agent: .*\[CANCELLED\]/);
    } finally {
      servers['ap-south']!.setDeploymentReadyDelay(20);
    }
    // Nothing half-made is left: the region's app is gone from its cluster, and the agent says so.
    expect(await leftIn('ap-south')).toEqual([]);
    const s = await json(['status']);
    expect(s.regions.find((r: any) => r.id === 'ap-south').deploy.status).toBe('cancelled');
    expect(weightsOf(s)).toEqual({ 'eu-west': 100, 'us-east': 0, 'ap-south': 0 });
    // And a deploy after it makes the region again.
    expect((await json(['deploy', '--regions', 'ap-south'])).outcome).toBe('completed');
    expect((await leftIn('ap-south')).length).toBeGreaterThan(0);
  }, 90_000);

  it('destroy removes one region, then everything: nothing of the app or its DNS records is left in any cluster', async () => {
    const one = await json(['destroy', 'ap-south', '--yes']);
    expect(one).toMatchObject({ destroyed: ['ap-south'], all: false, stillDeployed: [] });
    expect(await leftIn('ap-south')).toEqual([]);
    expect((await leftIn('eu-west')).length).toBeGreaterThan(0);
    expect((await run(['destroy'])).code).toBe(2); // --yes is required
    const all = await json(['destroy', '--yes']);
    expect(all).toMatchObject({ all: true, failoverStopped: true, stillDeployed: [] });
    for (const id of IDS) expect(await leftIn(id)).toEqual([]);
    expect(dnsRecords()).toBeUndefined();
    const s = await json(['status']);
    expect(s.regions.map((r: any) => [r.deploy.status, r.deploy.state])).toEqual(IDS.map(() => ['not-deployed', 'not-deployed']));
    expect(s.failover.isLeader).toBe(false);
    // A deploy brings the regions back, and the failover manager with them (it takes the Lease and writes the records again).
    expect((await json(['deploy'])).outcome).toBe('completed');
    await expect.poll(async () => (await json(['status'])).failover.isLeader, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => dnsRecords(), { timeout: 10_000 }).toEqual(['eu-west']);
    expect(await json(['destroy', '--yes'])).toMatchObject({ all: true, stillDeployed: [] });
    for (const id of IDS) expect(await leftIn(id)).toEqual([]);
    expect(dnsRecords()).toBeUndefined();
  }, 60_000);
});

describe('kubernetes config errors, before anything is created', () => {
  it('a kubeconfig context that is missing: file:line:col, the region, and the contexts there are (exit 2)', async () => {
    const own = mkdtempSync(join(dir, 'bad-context-'));
    writeFileSync(join(own, 'meridian.config.yaml'), config(0).replace('us-east: { endpoint: "https://us-east.shop.example.com" }', 'us-east: { context: prod-us, endpoint: "https://us-east.shop.example.com" }'));
    // Writes other than the running agent's Lease renewals.
    const writes = (): number => IDS.reduce((n, id) => n + servers[id]!.requests().filter((q) => q.method !== 'GET' && !q.path.includes('/leases')).length, 0);
    const before = writes();
    const r = await run(['agent'], own);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/meridian\.config\.yaml:14:16: provider\.regions\.us-east\.context: region "us-east": no kubeconfig context "prod-us" \(contexts available: eu-west, us-east, ap-south\) \[KUBECONFIG_INVALID\]/);
    expect(writes()).toBe(before); // refused before anything was created
  });

  it('provider.kubeconfig is a path relative to the config file; a region without a context uses the one named like it', async () => {
    const own = mkdtempSync(join(dir, 'own-kubeconfig-'));
    // Only the us-east cluster's file, one directory up from the config: eu-west and ap-south have no context there.
    writeFileSync(join(own, 'meridian.config.yaml'), config(0).replace('  image: registry', `  kubeconfig: ../${kubeconfigs[1]!.split('/').pop()}\n  image: registry`));
    const r = await meridian(own, {}, ['agent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/provider\.regions\.eu-west\.context: region "eu-west": no kubeconfig context "eu-west" \(contexts available: us-east\) \[KUBECONFIG_INVALID\]/);
  });

  it('an unknown kind lists the kinds; a token in the file is refused without being shown', async () => {
    const own = mkdtempSync(join(dir, 'bad-kind-'));
    writeFileSync(join(own, 'meridian.config.yaml'), config(0).replace('kind: kubernetes', 'kind: openshift'));
    const kind = await run(['config'], own);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/meridian\.config\.yaml:6:3: provider\.kind: unknown provider kind: must be one of "local", "kubernetes", "azure" \(got "openshift"\)/);
    writeFileSync(join(own, 'meridian.config.yaml'), config(0, { provider: '  token: sk-very-secret-value\n' }).replace(/\n\${extra.provider}/, ''));
    const token = await run(['config'], own);
    expect(token.code).toBe(2);
    expect(token.stderr).toMatch(/provider\.token: credentials never go in the config file/);
    expect(token.stderr).not.toContain('sk-very-secret-value');
  });
});
