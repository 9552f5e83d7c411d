import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsEndpointCrd, findLeakedProcesses, requireSystemTool, skipUnless, startFakeKubeApiServer, type FakeKubeApiServer } from '../src/index.js';

/**
 * The fake checked against real clients: the `kubectl` binary (v1.32 here;
 * CI installs one if missing) and @kubernetes/client-node 1.4.0. If kubectl
 * cannot tell the fake from a cluster for these commands, neither can the
 * provider built on it.
 */

/** `$KUBECTL`, else `/usr/bin/kubectl`, else `PATH` (CI's .ci/run installs one if missing). */
const kubectlRequirement = requireSystemTool('kubectl', { envVar: 'KUBECTL', enable: 'apt-get install -y kubernetes-client' });

/** Polls `condition` every 20 ms, failing after `timeoutMillis`. */
async function until(condition: () => boolean, what: string, timeoutMillis = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const KUBECTL_TIMEOUT_MILLIS = 15_000;

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels: {app: web}
data:
  region: eu-west
  currency: EUR
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: REGION
          value: eu-west
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
`;

const ssaDeployment = (replicas: number, image = 'busybox:1.36'): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: ${image}
`;

describe('kubectl against the fake kube-apiserver', skipUnless(kubectlRequirement), () => {
  const binary = kubectlRequirement.path ?? 'kubectl';
  let server: FakeKubeApiServer;
  let dir: string;
  let kubeconfig: string;
  const pids: number[] = [];

  const spawnKubectl = (args: string[], config = kubeconfig): ChildProcess => {
    const child = spawn(binary, ['--kubeconfig', config, '--cache-dir', join(dir, 'cache'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid) pids.push(child.pid);
    return child;
  };

  /** Runs kubectl to completion (killed after 15 s) with the fake's kubeconfig and a private discovery cache. */
  const kubectl = (args: string[], options: { input?: string; config?: string } = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawnKubectl(args, options.config);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), KUBECTL_TIMEOUT_MILLIS);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin!.end(options.input ?? '');
    });

  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  /** kubectl before 1.21 has no --show-managed-fields (it always shows them). */
  let showManagedFields: string[] = [];

  const json = async (args: string[]): Promise<any> => {
    const run = await kubectl([...args, '-o', 'json']);
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout);
  };

  beforeAll(async () => {
    server = await startFakeKubeApiServer({ name: 'fidelity', deploymentReadyDelayMillis: 100 });
    dir = await mkdtemp(join(tmpdir(), 'meridian-kubectl-'));
    kubeconfig = await server.writeKubeconfig(dir, { namespace: 'shop' });
    const version = JSON.parse((await kubectl(['version', '--client', '-o', 'json'])).stdout) as { clientVersion: { minor: string } };
    showManagedFields = Number.parseInt(version.clientVersion.minor, 10) >= 21 ? ['--show-managed-fields'] : [];
    const applied = await kubectl(['apply', '-f', await file('app.yaml', MANIFEST)]);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual(['namespace/shop created', 'configmap/web-config created', 'deployment.apps/web created', 'service/web created']);
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    expect(await findLeakedProcesses(pids)).toEqual([]);
  });

  it('apply -f (client-side) creates, re-applies unchanged, and patches a change; get -o json shows what the server set', async () => {
    const unchanged = await kubectl(['apply', '-f', join(dir, 'app.yaml')]);
    expect(unchanged.stdout).toContain('deployment.apps/web unchanged');
    const changed = await kubectl(['apply', '-f', await file('app2.yaml', MANIFEST.replace('replicas: 2', 'replicas: 3').replace('nginx:1.27', 'nginx:1.28'))]);
    expect(changed.stdout).toContain('deployment.apps/web configured');
    expect(changed.stdout).toContain('configmap/web-config unchanged');
    const web = await json(['get', 'deployment', 'web', ...showManagedFields]);
    expect(web.metadata).toMatchObject({ name: 'web', namespace: 'shop', generation: 2, labels: { app: 'web' } });
    expect(web.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(web.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"replicas":3');
    expect(web.metadata.managedFields[0]).toMatchObject({ manager: 'kubectl-client-side-apply', operation: 'Update' });
    expect(web.spec).toMatchObject({ replicas: 3, strategy: { type: 'RollingUpdate' } });
    expect(web.spec.template.spec.containers[0]).toMatchObject({ image: 'nginx:1.28', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    const svc = await json(['get', 'service', 'web']);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: expect.stringMatching(/^10\.96\./), ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] });
    const table = await kubectl(['get', 'configmaps', '-l', 'app=web']);
    expect(table.stdout).toMatch(/^NAME\s+DATA\s+AGE\nweb-config\s+2\s+\d+s\n$/);
  });

  it('apply --server-side: a second field manager conflicts on a field it changes, --force-conflicts takes it over', async () => {
    const first = await kubectl(['apply', '--server-side', '--field-manager=team-a', '-f', await file('api.yaml', ssaDeployment(2))]);
    expect(first.stdout.trim()).toBe('deployment.apps/api serverside-applied');
    const second = await kubectl(['apply', '--server-side', '--field-manager=team-b', '-f', await file('api5.yaml', ssaDeployment(5))]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('error: Apply failed with 1 conflict: conflict with "team-a": .spec.replicas');
    expect(second.stderr).toContain('--force-conflicts');
    const forced = await kubectl(['apply', '--server-side', '--field-manager=team-b', '--force-conflicts', '-f', join(dir, 'api5.yaml')]);
    expect(forced.code).toBe(0);
    const api = await json(['get', 'deployment', 'api', ...showManagedFields]);
    expect(api.spec.replicas).toBe(5);
    const owners = Object.fromEntries(api.metadata.managedFields.map((m: any) => [m.manager, m.fieldsV1]));
    expect(owners['team-b']['f:spec']['f:replicas']).toEqual({});
    expect(owners['team-a']['f:spec']['f:replicas']).toBeUndefined();
    // team-a re-applies the same image it shares with team-b: no conflict, shared ownership.
    expect((await kubectl(['apply', '--server-side', '--field-manager=team-a', '-f', await file('api-a.yaml', ssaDeployment(5))])).code).toBe(0);
  });

  it('get -w prints the change of a watched object', async () => {
    const child = spawnKubectl(['get', 'configmap', 'web-config', '-w', '-o', 'jsonpath={.data.currency}{"\\n"}']);
    let out = '';
    const listeners = new Set<() => void>();
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      for (const listener of [...listeners]) listener();
    });
    const seen = (text: string, timeoutMillis = 10_000): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!out.includes(text)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`kubectl get -w did not print ${text} within ${timeoutMillis} ms; printed ${JSON.stringify(out)}`));
        }, timeoutMillis);
        listeners.add(check);
        check();
      });
    try {
      await seen('EUR\n');
      await until(() => server.requests().some((r) => r.verb === 'watch' && r.path.startsWith('/api/v1/namespaces/shop/configmaps?')), 'the kubectl watch to start');
      const patched = await kubectl(['patch', 'configmap', 'web-config', '--type=merge', '-p', '{"data":{"currency":"CHF"}}']);
      expect(patched.stdout.trim()).toBe('configmap/web-config patched');
      await seen('CHF\n');
    } finally {
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(out).toBe('EUR\nCHF\n');
  });

  it('patch --type=json, merge and strategic (containers and env merged by name)', async () => {
    expect((await kubectl(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4}]'])).code).toBe(0);
    expect((await kubectl(['patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"frontend"}}}'])).code).toBe(0);
    const strategic = '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"MODE","value":"prod"}]}]}}}}';
    expect((await kubectl(['patch', 'deployment', 'web', '--type=strategic', '-p', strategic])).code).toBe(0);
    const web = await json(['get', 'deployment', 'web']);
    expect(web.spec.replicas).toBe(4);
    expect(web.metadata.labels).toEqual({ app: 'web', tier: 'frontend' });
    expect(web.spec.template.spec.containers).toHaveLength(1);
    expect(web.spec.template.spec.containers[0].image).toBe('nginx:1.28');
    expect(web.spec.template.spec.containers[0].env).toEqual([{ name: 'REGION', value: 'eu-west' }, { name: 'MODE', value: 'prod' }]);
    const failed = await kubectl(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr.trim()).toBe('The request is invalid: : testing value /spec/replicas failed: test failed');
  });

  it('scale deployment --replicas and wait --for=condition=Available; a failed Deployment times the wait out', async () => {
    const scaled = await kubectl(['scale', 'deployment', 'web', '--replicas=6']);
    expect(scaled.stdout.trim()).toBe('deployment.apps/web scaled');
    const waited = await kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=10s']);
    expect(waited.stdout.trim()).toBe('deployment.apps/web condition met');
    expect((await json(['get', 'deployment', 'web'])).status).toMatchObject({ replicas: 6, readyReplicas: 6, availableReplicas: 6 });
    // The scale went through the /scale subresource (the manager name is kubectl's user agent, so it varies by binary).
    const managed = (await json(['get', 'deployment', 'web', ...showManagedFields])).metadata.managedFields;
    expect(managed.find((m: any) => m.subresource === 'scale')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });

    server.failDeployment('shop', 'web');
    const timedOut = await kubectl(['wait', '--for=condition=Available=False', 'deployment/web', '--timeout=10s']);
    expect(timedOut.stdout.trim()).toBe('deployment.apps/web condition met');
    const stillFailed = await kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=1s']);
    expect(stillFailed.code).not.toBe(0);
    expect(stillFailed.stderr).toContain('timed out waiting for the condition on deployments/web');
    server.recoverDeployment('shop', 'web');
    expect((await kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=10s'])).code).toBe(0);
  });

  it('create of a CRD, then an instance of it; an invalid instance is 422 like the real server', async () => {
    const crd = await kubectl(['create', '-f', '-'], { input: JSON.stringify(dnsEndpointCrd()) });
    expect(crd.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/dnsendpoints.externaldns.k8s.io created');
    expect((await kubectl(['wait', '--for=condition=Established', 'crd/dnsendpoints.externaldns.k8s.io', '--timeout=10s'])).code).toBe(0);
    const endpoint = (ttl: string): string =>
      `apiVersion: externaldns.k8s.io/v1alpha1\nkind: DNSEndpoint\nmetadata:\n  name: app-${ttl === '60' ? 'ok' : 'bad'}\nspec:\n  endpoints:\n  - dnsName: app.example.com\n    recordType: A\n    recordTTL: ${ttl}\n    setIdentifier: eu-west\n    targets: ["192.0.2.10"]\n`;
    const created = await kubectl(['create', '-f', '-'], { input: endpoint('60') });
    expect(created.stdout.trim()).toBe('dnsendpoint.externaldns.k8s.io/app-ok created');
    const listed = await json(['get', 'dnsendpoints']);
    expect(listed.items.map((i: any) => [i.kind, i.metadata.name, i.spec.endpoints[0].setIdentifier])).toEqual([['DNSEndpoint', 'app-ok', 'eu-west']]);
    const invalid = await kubectl(['create', '-f', '-'], { input: endpoint('"sixty"') });
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('The DNSEndpoint "app-bad" is invalid: spec.endpoints[0].recordTTL: Invalid value: "string": spec.endpoints[0].recordTTL in body must be of type integer: "string"');
  });

  it('delete, then get of the missing object prints NotFound; invalid names are 422', async () => {
    const deleted = await kubectl(['delete', 'deployment', 'api']);
    expect(deleted.stdout.trim()).toBe('deployment.apps "api" deleted');
    const missing = await kubectl(['get', 'deployment', 'api']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "api" not found');
    // `kubectl create configmap NAME` would send protobuf, which the fake does not read (see the README): a manifest is JSON.
    const invalid = await kubectl(['create', '-f', '-'], { input: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}' });
    expect(invalid.stderr).toContain('The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain');
  });

  it('a wrong token is 401 and a token without RBAC rights is 403, in kubectl words', async () => {
    const wrong = await server.writeKubeconfig(dir, { context: 'wrong-token', token: 'not-a-valid-token' });
    const unauthorized = await kubectl(['get', 'configmaps'], { config: wrong });
    expect(unauthorized.code).not.toBe(0);
    expect(unauthorized.stderr).toMatch(/error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/);
    server.addToken('viewer', { user: 'viewer', rules: [{ verbs: ['get', 'list'], apiGroups: ['*'], resources: ['configmaps'] }] });
    const viewer = await server.writeKubeconfig(dir, { context: 'viewer', token: 'viewer', namespace: 'shop' });
    expect((await kubectl(['get', 'configmap', 'web-config'], { config: viewer })).code).toBe(0);
    const forbidden = await kubectl(['get', 'secrets'], { config: viewer });
    expect(forbidden.stderr.trim()).toBe('Error from server (Forbidden): secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "shop"');
  });
});

describe('@kubernetes/client-node 1.4.0 against the fake kube-apiserver', () => {
  let server: FakeKubeApiServer;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    server = await startFakeKubeApiServer({ name: 'client-node', bookmarkIntervalMillis: 100 });
    kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    core = kc.makeApiClient(CoreV1Api);
    for (const [name, tier] of [['a', 'front'], ['b', 'back'], ['c', 'front']] as const) {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `cm-${name}`, labels: { app: 'shop', tier } }, data: { n: name } } });
    }
  });
  afterAll(() => server.close());

  it('lists with a label selector', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=shop,tier in (front),!legacy' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['cm-a', 'cm-c']);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('watches from a resourceVersion and receives bookmarks', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: Array<{ type: string; object: V1ConfigMap }> = [];
    let abort: AbortController | undefined;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ADDED + BOOKMARK within 5 s: ${JSON.stringify(events.map((e) => e.type))}`)), 5000);
      void new Watch(kc)
        .watch(
          '/api/v1/namespaces/default/configmaps',
          { allowWatchBookmarks: true, resourceVersion: list.metadata!.resourceVersion! },
          (type, object) => {
            events.push({ type, object });
            if (events.some((e) => e.type === 'ADDED') && events.some((e) => e.type === 'BOOKMARK')) {
              clearTimeout(timer);
              resolve();
            }
          },
          () => undefined,
        )
        .then((controller) => (abort = controller));
    });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' } } });
    await done;
    abort?.abort();
    expect(events.find((e) => e.type === 'ADDED')?.object.metadata?.name).toBe('watched');
    expect(Number(events.find((e) => e.type === 'BOOKMARK')?.object.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  it('gets 409 Conflict for a replace with a stale resourceVersion', async () => {
    const current = await core.readNamespacedConfigMap({ namespace: 'default', name: 'cm-a' });
    await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'cm-a', body: { ...current, data: { n: 'first' } } });
    const error = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'cm-a', body: { ...current, data: { n: 'second' } } }).catch((e: unknown) => e);
    expect((error as { code: number }).code).toBe(409);
    expect(JSON.parse((error as { body: string }).body)).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
  });

  it('gets an ERROR event with 410 Expired when watching from a compacted resourceVersion', async () => {
    const old = (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-old' } } });
    server.compactHistory();
    const event = await new Promise<{ type: string; object: any }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ERROR event within 5 s')), 5000);
      void new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: old }, (type, object) => {
        clearTimeout(timer);
        resolve({ type, object });
      }, () => undefined);
    });
    expect(event).toEqual({ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', reason: 'Expired', code: 410 }) });
  });

  it('server-side applies with a field manager and force', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ssa', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'ssa' } }, template: { metadata: { labels: { app: 'ssa' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const created = await apps.patchNamespacedDeployment({ name: 'ssa', namespace: 'default', body, fieldManager: 'meridian' }, apply);
    expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: 'meridian', operation: 'Apply' });
    const conflict = await apps.patchNamespacedDeployment({ name: 'ssa', namespace: 'default', body: { ...body, spec: { ...body.spec, replicas: 3 } }, fieldManager: 'other' }, apply).catch((e: unknown) => e);
    expect((conflict as { code: number }).code).toBe(409);
    const forced = await apps.patchNamespacedDeployment({ name: 'ssa', namespace: 'default', body: { ...body, spec: { ...body.spec, replicas: 3 } }, fieldManager: 'other', force: true }, apply);
    expect(forced.spec?.replicas).toBe(3);
  });
});
