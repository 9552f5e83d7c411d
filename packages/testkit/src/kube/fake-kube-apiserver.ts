import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { MeridianError, systemClock, type Clock } from '@meridian/core';
import { ApiContext, served } from './api-context.js';
import { Authenticator, type RbacRule, type TokenGrant } from './auth.js';
import { generateServerCertificates } from './certs.js';
import { afterStore } from './cluster-lifecycle.js';
import { DeploymentController, type DeploymentFailure } from './deployment-controller.js';
import { FaultInjector, type FaultSpec } from './faults.js';
import type { KubeObject } from './kube-object.js';
import { renderKubeconfig } from './kubeconfig.js';
import { ObjectStore } from './object-store.js';
import { ResourceRegistry } from './resource-registry.js';
import { resourceKey, type ResourceType } from './resource-types.js';
import { route, type RequestRecord } from './router.js';
import { alreadyExists } from './status.js';
import { prepareCreate } from './write-pipeline.js';
import { loopbackListener } from '../loopback-listener.js';

/** Options of {@link startFakeKubeApiServer}; every one has a default. */
export interface FakeKubeApiServerOptions {
  /** Context name in the kubeconfig (cluster and user are `<name>-cluster`, `<name>-user`). Default `fake-kube`. */
  name?: string;
  /** The admin bearer token. Default: 32 random hex characters. */
  token?: string;
  /** More tokens, each with a user name and optional RBAC rules (no rules: cluster-admin). */
  tokens?: Record<string, TokenGrant>;
  /** The namespace the kubeconfig's context uses. Default `default`. */
  namespace?: string;
  /** How long a Deployment takes to become Available after a change. Default 200 ms. */
  deploymentReadyDelayMillis?: number;
  /** How many events the watch history keeps; a watch from an older resourceVersion gets 410 Expired. Default 1000. */
  watchHistorySize?: number;
  /** How often watches with `allowWatchBookmarks=true` get a BOOKMARK. Default 1000 ms (the real server: about a minute). */
  bookmarkIntervalMillis?: number;
  /** Simulated apiserver latency added to every request. Default 0. */
  latencyMillis?: number;
  /** Time for timestamps, controller delays, bookmarks and watch timeouts. Default: the system clock. */
  clock?: Clock;
  /** Port on 127.0.0.1. Default 0: a free one. */
  port?: number;
}

/** What `kubeconfig()` writes. */
export interface KubeconfigOptions {
  /** Context name. Default: the server's `name`. */
  context?: string;
  /** The context's namespace. Default: the server's `namespace` option. */
  namespace?: string;
  /** The user's token. Default: the admin token. */
  token?: string;
}

/** A running fake kube-apiserver ("cluster"); see the testkit README for what it does and does not do. */
export interface FakeKubeApiServer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The CA that signed the server certificate (PEM): give it to clients. */
  readonly caPem: string;
  /** The admin bearer token. */
  readonly token: string;
  /** The context name. */
  readonly name: string;
  /** False between `stop()` and `start()`, and after `close()`. */
  readonly running: boolean;
  /** A kubeconfig YAML for this cluster (server, CA data, token, context, namespace). */
  kubeconfig(options?: KubeconfigOptions): string;
  /** Writes `kubeconfig(options)` to `<dir>/<context>.kubeconfig` (mode 0600) and returns the path. */
  writeKubeconfig(dir: string, options?: KubeconfigOptions): Promise<string>;
  /** Adds a bearer token (with RBAC rules to deny some verbs/resources with 403). */
  addToken(token: string, grant: TokenGrant): void;
  /** Removes a token: requests with it get 401 (an expired or revoked token). */
  revokeToken(token: string): void;
  /** Creates objects directly (same defaults and validation as the API, manager `testkit`); namespaces must exist or come first. */
  seed(...objects: KubeObject[]): KubeObject[];
  /** The stored object, or undefined. `apiVersion` as `apps/v1`, `v1`. */
  read(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined;
  /** Makes a Deployment unavailable (`Available=False`, no ready replicas) until `recoverDeployment`. */
  failDeployment(namespace: string, name: string, failure?: DeploymentFailure): void;
  /** Lets a failed Deployment become Available again (after the ready delay). */
  recoverDeployment(namespace: string, name: string): void;
  /** Changes the simulated rollout time. */
  setDeploymentReadyDelay(millis: number): void;
  /** The next `count` matching requests fail with `spec.status` (429 with Retry-After, 500, 503, 504). */
  failNext(count: number, spec: FaultSpec): void;
  /** Forgets pending `failNext` faults. */
  clearFaults(): void;
  /** Simulated latency per request, settable at run time. */
  latencyMillis: number;
  /** Ends every open watch stream abruptly (the socket is destroyed); returns how many. */
  dropWatches(): number;
  /** Forgets the watch history: a watch from any resourceVersion before now gets 410 Expired. */
  compactHistory(): void;
  /** Changes how many events the watch history keeps. */
  setWatchHistorySize(events: number): void;
  /** The requests served so far (the last 5000), oldest first. */
  requests(): readonly RequestRecord[];
  /** Takes the cluster down (connections refused, open connections cut); the objects are kept. Idempotent. */
  stop(): Promise<void>;
  /** Brings it back on the same port. */
  start(): Promise<void>;
  /** Stops for good and cancels every timer. Idempotent. */
  close(): Promise<void>;
}

function invalidOption(path: string, value: unknown, why: string): MeridianError {
  return new MeridianError('INVALID_CONFIG', `startFakeKubeApiServer: ${path} ${why} (got ${JSON.stringify(value)})`, { details: { issues: [{ path, message: why, value: String(JSON.stringify(value)) }] } });
}

function checkMillis(path: string, value: number | undefined, min = 0): void {
  if (value !== undefined && (!Number.isFinite(value) || value < min)) throw invalidOption(path, value, `must be a number >= ${min}`);
}

const MAX_RECORDS = 5000;

/**
 * Starts an in-process fake kube-apiserver on 127.0.0.1 with its own CA,
 * bearer-token auth, discovery, the core/apps/coordination/apiextensions
 * types, CRDs, watch, the four patch types with server-side apply, a
 * Deployment controller and fault injection. Each call is an independent
 * cluster. `close()` it when done.
 */
export async function startFakeKubeApiServer(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
  const name = options.name ?? 'fake-kube';
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.@]*$/.test(name)) throw invalidOption('name', name, 'must be a plain context name');
  checkMillis('deploymentReadyDelayMillis', options.deploymentReadyDelayMillis);
  checkMillis('bookmarkIntervalMillis', options.bookmarkIntervalMillis);
  checkMillis('latencyMillis', options.latencyMillis);
  checkMillis('watchHistorySize', options.watchHistorySize, 1);
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) throw invalidOption('port', options.port, 'must be a port number');
  const token = options.token ?? randomBytes(16).toString('hex');
  const namespace = options.namespace ?? 'default';
  const clock = options.clock ?? systemClock;

  const registry = new ResourceRegistry();
  const ctx = new ApiContext(registry, new ObjectStore(options.watchHistorySize ?? 1000, (e) => ctx.onError(e)), clock);
  const auth = new Authenticator();
  auth.add(token, { user: 'admin' });
  for (const [t, grant] of Object.entries(options.tokens ?? {})) auth.add(t, grant);
  const faults = new FaultInjector();
  faults.latencyMillis = options.latencyMillis ?? 0;
  const controller = new DeploymentController(ctx, options.deploymentReadyDelayMillis ?? 200);
  const watches = new Set<() => void>();
  const records: RequestRecord[] = [];
  const certs = await generateServerCertificates(name);
  ctx.caPem = certs.caPem;

  const typeOf = (apiVersion: string, kind: string): ResourceType | undefined => {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return registry.all().find((t) => t.group === group && t.version === version && t.kind === kind);
  };
  const seed = (...objects: KubeObject[]): KubeObject[] =>
    objects.map((object) => {
      const type = typeOf(object.apiVersion ?? '', object.kind ?? '');
      if (!type) throw new MeridianError('INVALID_ARGUMENT', `seed: no type ${object.apiVersion}/${object.kind} is served`);
      const ns = type.namespaced ? (object.metadata.namespace ?? 'default') : '';
      ctx.requireNamespace(type, ns, object.metadata.name, true);
      const writer = { manager: 'testkit', apiVersion: object.apiVersion!, time: ctx.now() };
      const prepared = prepareCreate(ctx, type, ns, structuredClone(object), { writer, fieldValidation: 'Strict' });
      if (ctx.store.get(resourceKey(type), ns, prepared.object.metadata.name)) throw alreadyExists(type, prepared.object.metadata.name);
      const stored = ctx.store.put(resourceKey(type), prepared.object);
      afterStore(ctx, type, stored, true);
      return served(type, stored);
    });

  // A cluster starts with the system namespaces and the `kubernetes` Service, as kubeadm's does.
  seed(...['default', 'kube-system', 'kube-public', 'kube-node-lease'].map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })));
  controller.start();

  let closed = false;
  const server: Server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    void route(
      {
        ctx,
        auth,
        faults,
        watch: { bookmarkIntervalMillis: options.bookmarkIntervalMillis ?? 1000 },
        serverAddress: () => `127.0.0.1:${listener.port}`,
        watches,
        record: (entry) => {
          records.push(entry);
          if (records.length > MAX_RECORDS) records.shift();
        },
      },
      req,
      res,
      faults.latencyMillis,
    );
  });
  server.keepAliveTimeout = 60_000;

  // Open watches end before the connections are cut, as the real server ends them on shutdown.
  const listener = loopbackListener(server, options.port ?? 0, () => {
    for (const end of [...watches]) end();
  });
  await listener.listen();
  seed({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: listener.port }], sessionAffinity: 'None', type: 'ClusterIP' },
  });

  const kubeconfig = (o: KubeconfigOptions = {}): string =>
    renderKubeconfig({ contextName: o.context ?? name, server: `https://127.0.0.1:${listener.port}`, caPem: certs.caPem, token: o.token ?? token, namespace: o.namespace ?? namespace });

  return {
    get url() {
      return `https://127.0.0.1:${listener.port}`;
    },
    get port() {
      return listener.port;
    },
    caPem: certs.caPem,
    token,
    name,
    get running() {
      return listener.running;
    },
    kubeconfig,
    async writeKubeconfig(dir, o = {}) {
      const file = join(dir, `${o.context ?? name}.kubeconfig`);
      await writeFile(file, kubeconfig(o), { mode: 0o600 });
      return file;
    },
    addToken: (t, grant) => auth.add(t, grant),
    revokeToken: (t) => auth.revoke(t),
    seed,
    read(apiVersion, kind, objectName, objectNamespace) {
      const type = typeOf(apiVersion, kind);
      if (!type) return undefined;
      const object = ctx.store.get(resourceKey(type), type.namespaced ? (objectNamespace ?? 'default') : '', objectName);
      return object ? served(type, structuredClone(object)) : undefined;
    },
    failDeployment: (ns, n, failure = {}) => controller.fail(ns, n, failure),
    recoverDeployment: (ns, n) => controller.recover(ns, n),
    setDeploymentReadyDelay(millis) {
      checkMillis('deploymentReadyDelayMillis', millis);
      controller.readyDelayMillis = millis;
    },
    failNext: (count, spec) => faults.failNext(count, spec),
    clearFaults: () => faults.clear(),
    get latencyMillis() {
      return faults.latencyMillis;
    },
    set latencyMillis(millis: number) {
      checkMillis('latencyMillis', millis);
      faults.latencyMillis = millis;
    },
    dropWatches() {
      const open = [...watches];
      for (const end of open) end();
      watches.clear();
      return open.length;
    },
    compactHistory: () => ctx.store.compact(),
    setWatchHistorySize(events) {
      checkMillis('watchHistorySize', events, 1);
      ctx.store.setHistorySize(events);
    },
    requests: () => [...records],
    stop: () => listener.stop(),
    async start() {
      if (closed) throw new MeridianError('SHUT_DOWN', 'the fake kube-apiserver was closed');
      if (!listener.running) await listener.listen();
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.stop();
      controller.stop();
      ctx.cancelScheduled();
    },
  };
}

export type { DeploymentFailure, FaultSpec, RbacRule, TokenGrant };
