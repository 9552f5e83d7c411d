import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AdditionalPolicy } from '@meridian/providers-azure';
import { startFakeArm, type FakeArm } from '@meridian/testkit';
import { check, type ChaosScenario } from '../scenario.js';

const AZURE = fileURLToPath(new URL('../../../packages/providers-azure/src/index.ts', import.meta.url));
const REGIONS = {
  'eu-west': { location: 'westeurope', vmSize: 'Standard_B2s' },
  'us-east': { location: 'eastus', vmSize: 'Standard_B2s' },
  'ap-southeast': { location: 'southeastasia', vmSize: 'Standard_B2s' },
};
const IDS = Object.keys(REGIONS);
const TM = { resourceGroup: 'meridian-chaos-tm', profileName: 'shop-chaos', routing: 'Weighted' as const };
const RETRY_AFTER_SECONDS = 1;
/** A retry sooner than this after a 429 did not honour its Retry-After (timer slack allowed). */
const HONOURED_MILLIS = RETRY_AFTER_SECONDS * 1_000 - 50;
/** The weights set under throttling and the Traffic Manager endpoints they must become. */
const WEIGHTS = { 'eu-west': 2, 'us-east': 1, 'ap-southeast': 0 };
const ENDPOINTS = { 'eu-west': ['Enabled', 1000], 'us-east': ['Enabled', 500], 'ap-southeast': ['Disabled', 1] } as const;

/** One HTTP attempt the provider's SDK clients made (a per-retry pipeline policy sees each one). */
interface Attempt {
  at: number;
  method: string;
  url: string;
  status: number;
}

type PipelinePolicy = AdditionalPolicy['policy'];

function attemptLog(): { policy: PipelinePolicy; attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  const policy: PipelinePolicy = {
    name: 'chaosAttemptLog',
    async sendRequest(request, next) {
      const at = performance.now();
      try {
        const response = await next(request);
        attempts.push({ at, method: request.method, url: request.url, status: response.status });
        return response;
      } catch (error) {
        attempts.push({ at, method: request.method, url: request.url, status: 0 });
        throw error;
      }
    },
  };
  return { policy, attempts };
}

/** For each 429: the next attempt of the same request, and whether one of them finally succeeded. */
function followUps(attempts: Attempt[]): Array<{ throttled: Attempt; retry?: Attempt; completed: boolean }> {
  return attempts
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => a.status === 429)
    .map(({ a, i }) => {
      const later = attempts.slice(i + 1).filter((b) => b.method === a.method && b.url === a.url);
      return { throttled: a, retry: later[0], completed: later.some((b) => b.status > 0 && b.status < 400) };
    });
}

/**
 * 12b. ARM throttles (429 `SubscriptionRequestsThrottled`, `Retry-After: 1`)
 * while `@meridian/providers-azure` deploys three regions (resource groups,
 * VMs) and then sets Traffic Manager weights (profile, endpoints): every
 * throttled request must be retried after its Retry-After, every region end up
 * running, and the weights be applied exactly.
 */
export const armThrottling: ChaosScenario = {
  id: 'arm-throttling',
  title: 'ARM 429 Retry-After during deploy and traffic shift',
  expected: 'retried after Retry-After; every region deployed, weights applied',
  deadlineMillis: 30_000,
  notRunReason: () => (existsSync(AZURE) ? undefined : 'not run: needs @meridian/providers-azure'),
  run: async (ctx) => {
    const { createAzureProvider } = await import('@meridian/providers-azure');
    const { ClientSecretCredential } = await import('@azure/identity');
    const { TrafficManagerManagementClient } = await import('@azure/arm-trafficmanager');
    const fake: FakeArm = await startFakeArm({ operationDelayMillis: 20 });
    ctx.defer(() => fake.close());
    const credential = new ClientSecretCredential(fake.tenantId, fake.clientId, fake.clientSecret, { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca: fake.caPem } });
    // Quick retries for anything else, so only a honoured Retry-After can make a retry wait a second.
    const clientOptions = { tlsOptions: { ca: fake.caPem }, retryOptions: { maxRetries: 4, retryDelayInMs: 20, maxRetryDelayInMs: 200 } };
    const log = attemptLog();
    const provider = createAzureProvider({
      subscriptionId: fake.subscriptionId,
      credential,
      resourceGroupPrefix: 'meridian-chaos',
      regions: REGIONS,
      trafficManager: TM,
      endpoint: fake.url,
      clientOptions: { ...clientOptions, additionalPolicies: [{ policy: log.policy, position: 'perRetry' }] },
      pollIntervalMillis: 10,
    });

    // Deploy: the first two ARM requests (resource groups) and the first three VM PUTs are throttled.
    fake.throttleNext(2, { retryAfterSeconds: RETRY_AFTER_SECONDS });
    fake.throttleNext(3, { retryAfterSeconds: RETRY_AFTER_SECONDS, resourceType: 'Microsoft.Compute/virtualMachines', methods: ['PUT'] });
    const started = performance.now();
    const { regions } = await provider.deploy({ name: 'shop', regions: IDS }, { signal: ctx.signal });
    const deployMillis = Math.round(performance.now() - started);
    ctx.log(`deploy: ${regions.map((r) => `${r.regionId}=${r.state}${r.error ? ` (${r.error})` : ''}`).join(', ')} in ${deployMillis} ms`);
    const deployThrottled = log.attempts.filter((a) => a.status === 429).length;
    check(deployThrottled === 5, `expected 5 throttled deploy requests, saw ${deployThrottled}`);

    // Traffic: the profile's creation and two endpoint writes are throttled.
    fake.throttleNext(1, { retryAfterSeconds: RETRY_AFTER_SECONDS, resourceType: 'Microsoft.Network/trafficManagerProfiles', methods: ['PUT'] });
    fake.throttleNext(2, { retryAfterSeconds: RETRY_AFTER_SECONDS, resourceType: 'Microsoft.Network/trafficManagerProfiles/AzureEndpoints', methods: ['PUT'] });
    const shiftStarted = performance.now();
    await provider.setTraffic(WEIGHTS, { fencingToken: 1, signal: ctx.signal });
    ctx.log(`setTraffic ${JSON.stringify(WEIGHTS)} in ${Math.round(performance.now() - shiftStarted)} ms`);

    const served = fake.requests().filter((r) => r.status === 429).length;
    const throttled = followUps(log.attempts);
    check(served === 8 && throttled.length === 8, `expected 8 429s served and seen by the SDK, saw ${served} served, ${throttled.length} seen`);
    const gaps = throttled.filter((t) => t.retry).map((t) => Math.round(t.retry!.at - t.throttled.at));
    ctx.log(`429 → retry: ${gaps.join(', ')} ms`);
    const early = gaps.filter((g) => g < HONOURED_MILLIS);
    check(early.length === 0, `retried before Retry-After (${RETRY_AFTER_SECONDS} s): ${early.join(', ')} ms`);

    let lost = 0;
    for (const t of throttled) {
      if (t.completed) continue;
      lost++;
      ctx.log(`throttled ${t.throttled.method} ${new URL(t.throttled.url).pathname} never completed`);
    }
    const vms = fake.resources().filter((r) => r.type.toLowerCase() === 'microsoft.compute/virtualmachines' && r.provisioningState === 'Succeeded');
    for (const id of IDS) {
      const region = regions.find((r) => r.regionId === id);
      if (region?.state !== 'running') lost++;
      if (!vms.some((vm) => vm.resourceGroup.toLowerCase() === `meridian-chaos-${id}`)) {
        lost++;
        ctx.log(`no VM provisioned in meridian-chaos-${id}`);
      }
    }
    const tm = new TrafficManagerManagementClient(credential, fake.subscriptionId, { ...clientOptions, endpoint: fake.url, $host: fake.url });
    const profile = await tm.profiles.get(TM.resourceGroup, TM.profileName, { abortSignal: ctx.signal });
    const seen = Object.fromEntries((profile.endpoints ?? []).map((e) => [e.name!, [e.endpointStatus, e.weight]]));
    ctx.log(`Traffic Manager endpoints: ${JSON.stringify(seen)}`);
    for (const [id, want] of Object.entries(ENDPOINTS)) if (JSON.stringify(seen[id]) !== JSON.stringify(want)) lost++;
    if (JSON.stringify(provider.traffic()) !== JSON.stringify(WEIGHTS)) lost++;

    return {
      reactionSeen: true,
      reaction: `${throttled.length} ARM 429s retried after ${Math.min(...gaps)}–${Math.max(...gaps)} ms; ${regions.filter((r) => r.state === 'running').length}/3 deployed, weights applied`,
      timeToReactMillis: Math.max(...gaps),
      lost,
      checked: throttled.length + IDS.length * 2 + IDS.length + 1,
      clients: { notApplicable: 'no regions: a fake ARM only' },
    };
  },
};
