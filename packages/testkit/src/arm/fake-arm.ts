import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { MeridianError, systemClock, type Clock } from '@meridian/core';
import { generateServerCertificates } from '../kube/certs.js';
import { ArmContext } from './arm-context.js';
import { routeArm, type ArmRequestRecord } from './arm-router.js';
import { ArmFaults, type LocationFailure, type ThrottleSpec } from './faults.js';
import { DEFAULT_LOCATIONS, normalizeLocation, type ArmLocation } from './locations.js';
import { TokenService } from './token-service.js';
import { loopbackListener } from '../loopback-listener.js';

/** Options of {@link startFakeArm}; every one has a default. */
export interface FakeArmOptions {
  /** The one subscription served (others: 404 `SubscriptionNotFound`). Default: a random GUID. */
  subscriptionId?: string;
  /** Entra tenant of the app registration. Default: a random GUID. */
  tenantId?: string;
  /** The app registration's client id. Default: a random GUID. */
  clientId?: string;
  /** Its client secret. Default: 40 random characters. */
  clientSecret?: string;
  /** Access-token lifetime. Default 3600 s. */
  tokenLifetimeSeconds?: number;
  /** Regions and the VM sizes each offers. Default: {@link DEFAULT_LOCATIONS} (8 regions). */
  locations?: readonly ArmLocation[];
  /** How long a long-running operation (PUT, DELETE, action) stays InProgress. Default 50 ms. */
  operationDelayMillis?: number;
  /** Added to every request. Default 0. */
  latencyMillis?: number;
  /** Time for LRO completion, token expiry and latency. Default: the system clock. */
  clock?: Clock;
  /** Port on 127.0.0.1. Default 0: a free one. */
  port?: number;
}

/** A resource as `resources()` lists it. */
export interface FakeArmResource {
  id: string;
  type: string;
  name: string;
  resourceGroup: string;
  location?: string;
  provisioningState: string;
}

/** The structural shape of an `@azure/core-rest-pipeline` policy (no dependency on the package). */
export interface FakeArmPipelinePolicy {
  name: string;
  sendRequest<Req extends { tlsSettings?: object }, Res>(request: Req, next: (request: Req) => Promise<Res>): Promise<Res>;
}

/** A running fake Azure Resource Manager with its Entra ID token endpoint; see the testkit README. */
export interface FakeArm {
  /** `https://127.0.0.1:<port>`: the ARM endpoint and the authority host. */
  readonly url: string;
  readonly port: number;
  /** The CA that signed the server certificate (PEM). */
  readonly caPem: string;
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** False between `stop()` and `start()`, and after `close()`. */
  readonly running: boolean;
  /** A pipeline policy that gives every request this CA (`additionalPolicies: [{ policy: fake.tlsPolicy, position: 'perCall' }]`). */
  readonly tlsPolicy: FakeArmPipelinePolicy;
  /** Default LRO duration, settable at run time. */
  operationDelayMillis: number;
  /** Latency added to every request, settable at run time. */
  latencyMillis: number;
  /** The next `count` matching ARM requests get 429 with `Retry-After`. */
  throttleNext(count: number, spec?: ThrottleSpec): void;
  /** Every create in `location` fails with `failure` until `clearLocationFailure`. */
  failLocation(location: string, failure: LocationFailure): void;
  clearLocationFailure(location: string): void;
  /** LROs in `location` take `millis` (a slow region); `undefined` restores the default. */
  setLocationDelay(location: string, millis: number | undefined): void;
  /** Forgets throttles, failing and slow locations. */
  clearFaults(): void;
  /** Makes every token issued so far invalid (401 `InvalidAuthenticationToken`). */
  revokeTokens(): void;
  /** What exists now (resource groups first), with provisioning states. */
  resources(): FakeArmResource[];
  /** Served requests (the last 5000), oldest first. */
  requests(): readonly ArmRequestRecord[];
  /** Takes the server down (connections refused); resources are kept. Idempotent. */
  stop(): Promise<void>;
  /** Brings it back on the same port. */
  start(): Promise<void>;
  /** Stops for good. Idempotent. */
  close(): Promise<void>;
}

function invalidOption(path: string, value: unknown, why: string): MeridianError {
  return new MeridianError('INVALID_CONFIG', `startFakeArm: ${path} ${why} (got ${JSON.stringify(value)})`, { details: { issues: [{ path, message: why, value: String(JSON.stringify(value)) }] } });
}

function checkMillis(path: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) throw invalidOption(path, value, 'must be a number >= 0');
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_RECORDS = 5000;

/**
 * Starts an in-process fake Azure Resource Manager and Entra ID token endpoint
 * on https://127.0.0.1 with its own CA, for the official `@azure/arm-*` and
 * `@azure/identity` clients. `close()` it when done.
 */
export async function startFakeArm(options: FakeArmOptions = {}): Promise<FakeArm> {
  for (const key of ['subscriptionId', 'tenantId', 'clientId'] as const) {
    if (options[key] !== undefined && !GUID.test(options[key])) throw invalidOption(key, options[key], 'must be a GUID');
  }
  checkMillis('operationDelayMillis', options.operationDelayMillis);
  checkMillis('latencyMillis', options.latencyMillis);
  if (options.tokenLifetimeSeconds !== undefined && !(options.tokenLifetimeSeconds >= 1)) throw invalidOption('tokenLifetimeSeconds', options.tokenLifetimeSeconds, 'must be >= 1');
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) throw invalidOption('port', options.port, 'must be a port number');
  if (options.locations !== undefined && (options.locations.length === 0 || options.locations.some((l) => l.name !== normalizeLocation(l.name)))) {
    throw invalidOption('locations', options.locations.map((l) => l.name), 'must be non-empty, with lower-case names without spaces');
  }
  const clock = options.clock ?? systemClock;
  const subscriptionId = options.subscriptionId ?? randomUUID();
  const principal = { tenantId: options.tenantId ?? randomUUID(), clientId: options.clientId ?? randomUUID(), clientSecret: options.clientSecret ?? randomBytes(30).toString('base64url') };
  const faults = new ArmFaults();
  faults.latencyMillis = options.latencyMillis ?? 0;
  const ctx = new ArmContext(subscriptionId, principal.tenantId, options.locations ?? DEFAULT_LOCATIONS, faults, clock, options.operationDelayMillis ?? 50, () => `https://127.0.0.1:${listener.port}`);
  const tokens = new TokenService(principal, clock, options.tokenLifetimeSeconds ?? 3600);
  const records: ArmRequestRecord[] = [];
  const certs = await generateServerCertificates('fake-arm');

  const server: Server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    const serve = (): void =>
      void routeArm({ ctx, tokens, record: (entry) => { records.push(entry); if (records.length > MAX_RECORDS) records.shift(); } }, req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    if (faults.latencyMillis > 0) clock.setTimeout(serve, faults.latencyMillis);
    else serve();
  });
  server.keepAliveTimeout = 60_000;

  let closed = false;
  const listener = loopbackListener(server, options.port ?? 0);
  await listener.listen();

  const tlsPolicy: FakeArmPipelinePolicy = {
    name: 'fakeArmTlsPolicy',
    sendRequest(request, next) {
      request.tlsSettings = { ...request.tlsSettings, ca: certs.caPem };
      return next(request);
    },
  };

  return {
    get url() {
      return `https://127.0.0.1:${listener.port}`;
    },
    get port() {
      return listener.port;
    },
    caPem: certs.caPem,
    subscriptionId,
    ...principal,
    get running() {
      return listener.running;
    },
    tlsPolicy,
    get operationDelayMillis() {
      return ctx.operationDelayMillis;
    },
    set operationDelayMillis(millis: number) {
      checkMillis('operationDelayMillis', millis);
      ctx.operationDelayMillis = millis;
    },
    get latencyMillis() {
      return faults.latencyMillis;
    },
    set latencyMillis(millis: number) {
      checkMillis('latencyMillis', millis);
      faults.latencyMillis = millis;
    },
    throttleNext: (count, spec = {}) => faults.throttleNext(count, spec),
    failLocation: (location, failure) => void faults.failingLocations.set(normalizeLocation(location), failure),
    clearLocationFailure: (location) => void faults.failingLocations.delete(normalizeLocation(location)),
    setLocationDelay(location, millis) {
      checkMillis('millis', millis);
      if (millis === undefined) faults.locationDelays.delete(normalizeLocation(location));
      else faults.locationDelays.set(normalizeLocation(location), millis);
    },
    clearFaults: () => faults.clear(),
    revokeTokens: () => tokens.revokeAll(),
    resources() {
      ctx.operations.settle();
      return ctx.store
        .all()
        .map((r) => ({ id: r.id, type: r.type, name: r.name, resourceGroup: r.resourceGroup, ...(r.location ? { location: r.location } : {}), provisioningState: r.provisioningState }))
        .sort((a, b) => Number(b.type === 'Microsoft.Resources/resourceGroups') - Number(a.type === 'Microsoft.Resources/resourceGroups'));
    },
    requests: () => [...records],
    stop: () => listener.stop(),
    async start() {
      if (closed) throw new MeridianError('SHUT_DOWN', 'the fake ARM was closed');
      if (!listener.running) await listener.listen();
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.stop();
    },
  };
}

export type { ArmRequestRecord, LocationFailure, ThrottleSpec, ArmLocation };
