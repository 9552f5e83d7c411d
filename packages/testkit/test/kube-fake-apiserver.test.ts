import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsEndpointCrd, startFakeKubeApiServer, type FakeKubeApiServer } from '../src/index.js';
import { call, openWatch } from './kube-http.js';

const deployment = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    ...extra,
  },
});
const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

describe('fake kube-apiserver over HTTPS', () => {
  let server: FakeKubeApiServer;
  beforeAll(async () => {
    server = await startFakeKubeApiServer({ name: 'unit', deploymentReadyDelayMillis: 50, bookmarkIntervalMillis: 100 });
  });
  afterAll(() => server.close());

  it('answers 401 Status without a token or with a wrong one, and 403 for RBAC denials', async () => {
    for (const token of [null, 'wrong']) {
      const res = await call(server, 'GET', '/api/v1/namespaces', { token });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    server.addToken('viewer-token', { user: 'viewer', rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['configmaps', 'deployments'] }] });
    expect((await call(server, 'GET', CONFIGMAPS, { token: 'viewer-token' })).status).toBe(200);
    const denied = await call(server, 'POST', DEPLOYMENTS, { token: 'viewer-token', body: deployment('denied') });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: 'deployments.apps is forbidden: User "viewer" cannot create resource "deployments" in API group "apps" in the namespace "default"',
      details: { group: 'apps', kind: 'deployments' },
    });
    server.revokeToken('viewer-token');
    expect((await call(server, 'GET', CONFIGMAPS, { token: 'viewer-token' })).status).toBe(401);
  });

  it('serves discovery with kinds, verbs, short names and subresources', async () => {
    const apps = await call(server, 'GET', '/apis/apps/v1');
    const names = apps.json.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual(['deployments', 'deployments/status', 'deployments/scale']);
    expect(apps.json.resources[0]).toMatchObject({ kind: 'Deployment', namespaced: true, shortNames: ['deploy'], verbs: expect.arrayContaining(['watch', 'patch']) });
    expect(apps.json.resources[2]).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const groups = await call(server, 'GET', '/apis');
    expect(groups.json.groups.map((g: { name: string }) => g.name)).toEqual(['apps', 'coordination.k8s.io', 'apiextensions.k8s.io']);
    expect((await call(server, 'GET', '/version')).json.gitVersion).toBe('v1.32.4');
    const aggregated = await call(server, 'GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(aggregated.headers['content-type']).toContain('as=APIGroupDiscoveryList');
    expect(aggregated.json.items[0].versions[0].resources[0]).toMatchObject({ resource: 'deployments', scope: 'Namespaced' });
  });

  it('creates with uid, creationTimestamp, string resourceVersion, generation and defaults; rejects duplicates with 409', async () => {
    const created = await call(server, 'POST', DEPLOYMENTS, { body: deployment('web') });
    expect(created.status).toBe(201);
    const meta = created.json.metadata;
    expect(meta).toMatchObject({ name: 'web', namespace: 'default', generation: 1 });
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof meta.resourceVersion).toBe('string');
    expect(created.json.spec).toMatchObject({ revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate' } });
    expect(created.json.status).toBeUndefined();
    const again = await call(server, 'POST', DEPLOYMENTS, { body: deployment('web') });
    expect(again.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'deployments.apps "web" already exists', details: { name: 'web', group: 'apps', kind: 'deployments' } });
  });

  it('rejects what the real server rejects with 422 Invalid and field causes', async () => {
    const badName = await call(server, 'POST', CONFIGMAPS, { body: { metadata: { name: 'Bad_Name' }, data: {} } });
    expect(badName.status).toBe(422);
    expect(badName.json.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(badName.json.details).toMatchObject({ name: 'Bad_Name', kind: 'ConfigMap', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }] });

    const noSelector = deployment('nosel') as Record<string, any>;
    delete noSelector['spec'].selector;
    noSelector['spec'].template.spec.containers[0].image = '';
    const invalid = await call(server, 'POST', DEPLOYMENTS, { body: noSelector });
    expect(invalid.status).toBe(422);
    expect(invalid.json.details.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' },
    ]);
    expect(invalid.json.message).toBe('Deployment.apps "nosel" is invalid: [spec.selector: Required value, spec.template.spec.containers[0].image: Required value]');

    const mismatch = deployment('mismatch') as Record<string, any>;
    mismatch['spec'].selector.matchLabels = { app: 'other' };
    const mis = await call(server, 'POST', DEPLOYMENTS, { body: mismatch });
    expect(mis.json.details.causes[0]).toMatchObject({ field: 'spec.template.metadata.labels', message: 'Invalid value: map[string]string{"app":"mismatch"}: `selector` does not match template `labels`' });

    const noNs = await call(server, 'POST', '/api/v1/namespaces/nope/configmaps', { body: { metadata: { name: 'x' } } });
    expect(noNs.json).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "nope" not found', details: { name: 'nope', kind: 'namespaces' } });

    const strict = await call(server, 'POST', `${CONFIGMAPS}?fieldValidation=Strict`, { body: { metadata: { name: 'typo' }, dta: {} } });
    expect(strict.json).toMatchObject({ code: 400, reason: 'BadRequest', message: 'strict decoding error: unknown field "dta"' });
    const warned = await call(server, 'POST', CONFIGMAPS, { body: { metadata: { name: 'typo' }, dta: {} } });
    expect(warned.status).toBe(201);
    expect(warned.headers['warning']).toBe('299 - "unknown field \\"dta\\""');
    expect(warned.json.dta).toBeUndefined();
  });

  it('enforces resourceVersion on update with the real 409 Conflict, bumps generation on spec changes only', async () => {
    const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const first = (await call(server, 'POST', LEASES, { body: { metadata: { name: 'occ' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 10 } } })).json;
    const renewed = await call(server, 'PUT', `${LEASES}/occ`, { body: { ...first, spec: { ...first.spec, holderIdentity: 'b' } } });
    expect(renewed.status).toBe(200);
    expect(Number(renewed.json.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
    const stale = await call(server, 'PUT', `${LEASES}/occ`, { body: { ...first, spec: { ...first.spec, holderIdentity: 'c' } } });
    expect(stale.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Operation cannot be fulfilled on leases.coordination.k8s.io "occ": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'occ', group: 'coordination.k8s.io', kind: 'leases' },
      code: 409,
    });
    await call(server, 'POST', DEPLOYMENTS, { body: deployment('gen') });
    const merge = { contentType: 'application/merge-patch+json' };
    const labelled = await call(server, 'PATCH', `${DEPLOYMENTS}/gen`, { body: { metadata: { labels: { extra: 'yes' } } }, ...merge });
    expect(labelled.json.metadata.generation).toBe(1);
    const scaled = await call(server, 'PATCH', `${DEPLOYMENTS}/gen`, { body: { spec: { replicas: 4 } }, ...merge });
    expect(scaled.json.metadata.generation).toBe(2);
    const cm = (await call(server, 'POST', CONFIGMAPS, { body: { metadata: { name: 'noop' }, data: { a: '1' } } })).json;
    const noop = await call(server, 'PATCH', `${CONFIGMAPS}/noop`, { body: { data: { a: '1' } }, ...merge });
    expect(noop.json.metadata.resourceVersion).toBe(cm.metadata.resourceVersion);
  });

  it('serves /scale and /status, and the controller makes Deployments Available or failed', async () => {
    await call(server, 'POST', DEPLOYMENTS, { body: deployment('ctl') });
    const scale = await call(server, 'GET', `${DEPLOYMENTS}/ctl/scale`);
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 } });
    const rescaled = await call(server, 'PATCH', `${DEPLOYMENTS}/ctl/scale`, { body: { spec: { replicas: 3 } }, contentType: 'application/merge-patch+json' });
    expect(rescaled.json.spec.replicas).toBe(3);
    const watch = await openWatch(server, `${DEPLOYMENTS}?watch=1&fieldSelector=metadata.name%3Dctl`);
    const available = (e: { object: any }) => e.object.status?.conditions?.some((c: any) => c.type === 'Available' && c.status === 'True');
    const ready = await watch.next(available);
    expect(ready.object.status).toMatchObject({ readyReplicas: 3, availableReplicas: 3, replicas: 3, observedGeneration: ready.object.metadata.generation });
    server.failDeployment('default', 'ctl', { reason: 'ProgressDeadlineExceeded', message: 'pods crash looping' });
    const failed = await watch.next((e) => e.object.status?.conditions?.some((c: any) => c.type === 'Available' && c.status === 'False'));
    expect(failed.object.status.readyReplicas).toBeUndefined();
    expect(failed.object.status.conditions[0]).toMatchObject({ reason: 'ProgressDeadlineExceeded', message: 'pods crash looping' });
    server.recoverDeployment('default', 'ctl');
    await watch.next(available);
    watch.close();
    const statusWrite = await call(server, 'PUT', `${DEPLOYMENTS}/ctl/status`, { body: { ...(await call(server, 'GET', `${DEPLOYMENTS}/ctl`)).json, spec: { replicas: 99 } } });
    expect(statusWrite.json.spec.replicas).toBe(3);
  });

  it('deletes: a Status for ConfigMaps, the object for Pods and custom resources, 404 after', async () => {
    await call(server, 'POST', CONFIGMAPS, { body: { metadata: { name: 'gone' } } });
    const deleted = await call(server, 'DELETE', `${CONFIGMAPS}/gone`);
    expect(deleted.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone', kind: 'configmaps' } });
    const missing = await call(server, 'GET', `${CONFIGMAPS}/gone`);
    expect(missing.json).toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "gone" not found' });
    await call(server, 'POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    expect((await call(server, 'DELETE', '/api/v1/namespaces/default/pods/p')).json).toMatchObject({ kind: 'Pod', metadata: { name: 'p' } });
  });

  it('lists with label and field selectors and pages with limit/continue', async () => {
    for (const [name, tier] of [['a', 'front'], ['b', 'back'], ['c', 'front']] as const) {
      await call(server, 'POST', CONFIGMAPS, { body: { metadata: { name: `sel-${name}`, labels: { group: 'sel', tier } } } });
    }
    const names = async (query: string) => (await call(server, 'GET', `${CONFIGMAPS}?${query}`)).json.items.map((i: any) => i.metadata.name);
    expect(await names('labelSelector=group%3Dsel,tier%3Dfront')).toEqual(['sel-a', 'sel-c']);
    expect(await names('labelSelector=group%3Dsel,tier%20notin%20(front)')).toEqual(['sel-b']);
    expect(await names('labelSelector=group,tier!%3Dback')).toEqual(['sel-a', 'sel-c']);
    expect(await names('fieldSelector=metadata.name%3Dsel-b')).toEqual(['sel-b']);
    const page = (await call(server, 'GET', `${CONFIGMAPS}?labelSelector=group%3Dsel&limit=2`)).json;
    expect(page.items.map((i: any) => i.metadata.name)).toEqual(['sel-a', 'sel-b']);
    expect(page.metadata.remainingItemCount).toBe(1);
    expect(await names(`labelSelector=group%3Dsel&limit=2&continue=${encodeURIComponent(page.metadata.continue)}`)).toEqual(['sel-c']);
    expect((await call(server, 'GET', `${CONFIGMAPS}?labelSelector=a%20b`)).status).toBe(400);
  });

  it('watches: replay from a resourceVersion, bookmarks, label selector exits as DELETED, timeoutSeconds, 410 for compacted history', async () => {
    const start = (await call(server, 'GET', CONFIGMAPS)).json.metadata.resourceVersion;
    await call(server, 'POST', CONFIGMAPS, { body: { metadata: { name: 'w1', labels: { watch: 'me' } } } });
    const watch = await openWatch(server, `${CONFIGMAPS}?watch=true&resourceVersion=${start}&allowWatchBookmarks=true&labelSelector=watch%3Dme&timeoutSeconds=2`);
    expect((await watch.next((e) => e.type === 'ADDED')).object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'w1' } });
    await call(server, 'PATCH', `${CONFIGMAPS}/w1`, { body: { metadata: { labels: { watch: 'no' } } }, contentType: 'application/merge-patch+json' });
    await watch.next((e) => e.type === 'DELETED' && e.object.metadata.name === 'w1');
    const bookmark = await watch.next((e) => e.type === 'BOOKMARK');
    expect(bookmark.object).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String) } });
    await watch.ended;

    server.compactHistory();
    const expired = await openWatch(server, `${CONFIGMAPS}?watch=1&resourceVersion=${start}`);
    const error = await expired.next((e) => e.type === 'ERROR');
    expect(error.object).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/), reason: 'Expired', code: 410 });
    await expired.ended;
  });

  it('registers a CRD at run time: discovery, CRUD, schema validation; deleting it removes its objects', async () => {
    const crd = await call(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: dnsEndpointCrd() });
    expect(crd.status).toBe(201);
    const list = await call(server, 'GET', '/apis/externaldns.k8s.io/v1alpha1');
    expect(list.json.resources.map((r: any) => r.name)).toEqual(['dnsendpoints', 'dnsendpoints/status']);
    const path = '/apis/externaldns.k8s.io/v1alpha1/namespaces/default/dnsendpoints';
    const body = { apiVersion: 'externaldns.k8s.io/v1alpha1', kind: 'DNSEndpoint', metadata: { name: 'app' }, spec: { endpoints: [{ dnsName: 'app.example.com', recordType: 'A', targets: ['192.0.2.1'], setIdentifier: 'eu', unknown: 1 }] } };
    const created = await call(server, 'POST', path, { body });
    expect(created.json.spec.endpoints[0]).toEqual({ dnsName: 'app.example.com', recordType: 'A', targets: ['192.0.2.1'], setIdentifier: 'eu' });
    const bad = await call(server, 'POST', path, { body: { ...body, metadata: { name: 'bad' }, spec: { endpoints: [{ recordTTL: 'sixty' }] } } });
    expect(bad.json.message).toBe('DNSEndpoint.externaldns.k8s.io "bad" is invalid: spec.endpoints[0].recordTTL: Invalid value: "string": spec.endpoints[0].recordTTL in body must be of type integer: "string"');
    const smp = await call(server, 'PATCH', `${path}/app`, { body: {}, contentType: 'application/strategic-merge-patch+json' });
    expect(smp.status).toBe(415);
    const noRv = await call(server, 'PUT', `${path}/app`, { body: { ...body, metadata: { name: 'app' } } });
    expect(noRv.json.details.causes[0]).toMatchObject({ field: 'metadata.resourceVersion' });
    await call(server, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/dnsendpoints.externaldns.k8s.io');
    expect((await call(server, 'GET', path)).status).toBe(404);
  });

  it('server-side apply needs a fieldManager (422) and refuses force on other patches', async () => {
    const apply = await call(server, 'PATCH', `${DEPLOYMENTS}/ssa`, { body: deployment('ssa'), contentType: 'application/apply-patch+yaml' });
    expect(apply.json).toMatchObject({ code: 422, reason: 'Invalid', message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', details: { group: 'meta.k8s.io', kind: 'PatchOptions' } });
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ssa}}\n  template:\n    metadata: {labels: {app: ssa}}\n    spec:\n      containers: [{name: c, image: busybox}]\n';
    const created = await call(server, 'PATCH', `${DEPLOYMENTS}/ssa?fieldManager=me`, { body: yaml, contentType: 'application/apply-patch+yaml' });
    expect(created.status).toBe(201);
    expect(created.json.metadata.managedFields[0]).toMatchObject({ manager: 'me', operation: 'Apply', fieldsType: 'FieldsV1' });
    const forced = await call(server, 'PATCH', `${DEPLOYMENTS}/ssa?force=true`, { body: {}, contentType: 'application/merge-patch+json' });
    expect(forced.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });

  it('deletes a namespace through Terminating, with its content', async () => {
    await call(server, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'temp' } } });
    await call(server, 'POST', '/api/v1/namespaces/temp/configmaps', { body: { metadata: { name: 'x' } } });
    const watch = await openWatch(server, '/api/v1/namespaces?watch=1&fieldSelector=metadata.name%3Dtemp');
    const deleted = await call(server, 'DELETE', '/api/v1/namespaces/temp');
    expect(deleted.json).toMatchObject({ kind: 'Namespace', status: { phase: 'Terminating' } });
    await watch.next((e) => e.type === 'DELETED');
    watch.close();
    expect((await call(server, 'GET', '/api/v1/namespaces/temp/configmaps/x')).status).toBe(404);
  });
});

describe('fault injection and lifecycle', () => {
  it('fails the next requests with 429 + Retry-After, 500 and 503 Status objects, then recovers', async () => {
    const server = await startFakeKubeApiServer();
    try {
      server.failNext(1, { status: 429, retryAfterSeconds: 2 });
      server.failNext(1, { status: 500, verbs: ['list'] });
      server.failNext(1, { status: 503 });
      const throttled = await call(server, 'GET', CONFIGMAPS);
      expect(throttled.status).toBe(429);
      expect(throttled.headers['retry-after']).toBe('2');
      expect(throttled.json).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', details: { retryAfterSeconds: 2 }, code: 429 });
      expect((await call(server, 'GET', CONFIGMAPS)).json).toMatchObject({ code: 500, reason: 'InternalError' });
      expect((await call(server, 'GET', CONFIGMAPS)).json).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
      expect((await call(server, 'GET', CONFIGMAPS)).status).toBe(200);
      server.latencyMillis = 80;
      const started = Date.now();
      await call(server, 'GET', '/version');
      expect(Date.now() - started).toBeGreaterThanOrEqual(75);
      expect(server.requests().filter((r) => r.verb === 'list').map((r) => r.status)).toEqual([429, 500, 503, 200]);
    } finally {
      await server.close();
    }
  });

  it('drops watches, goes down and comes back with its objects; instances are independent', async () => {
    const [a, b] = await Promise.all([startFakeKubeApiServer({ name: 'a' }), startFakeKubeApiServer({ name: 'b' })]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.caPem).not.toBe(b.caPem);
      await call(a, 'POST', CONFIGMAPS, { body: { metadata: { name: 'only-in-a' } } });
      expect((await call(b, 'GET', `${CONFIGMAPS}/only-in-a`)).status).toBe(404);
      expect((await call(b, 'GET', CONFIGMAPS, { token: a.token })).status).toBe(401);
      const watch = await openWatch(a, `${CONFIGMAPS}?watch=1`);
      await watch.next((e) => e.type === 'ADDED');
      expect(a.dropWatches()).toBe(1);
      await watch.ended;
      await a.stop();
      expect(a.running).toBe(false);
      await expect(call(a, 'GET', CONFIGMAPS)).rejects.toThrow(/ECONNREFUSED/);
      await a.start();
      expect((await call(a, 'GET', `${CONFIGMAPS}/only-in-a`)).status).toBe(200);
      expect(a.kubeconfig({ context: 'eu-west', namespace: 'shop' })).toContain('current-context: "eu-west"');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('rejects bad options with INVALID_CONFIG', async () => {
    await expect(startFakeKubeApiServer({ deploymentReadyDelayMillis: -1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
