import { inspect } from 'node:util';
import { MeridianError } from '@meridian/core';
import type { FakeArm } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeCredential, fakeProvider, startQuickFakeArm } from './vm-fixture.js';

let fake: FakeArm;
beforeEach(async () => {
  fake = await startQuickFakeArm();
});
afterEach(async () => {
  await fake.close();
});

describe('AzureProvider retries and errors', () => {
  it("honours 429 Retry-After through the SDK's retry policy", async () => {
    const provider = fakeProvider(fake);
    fake.throttleNext(2, { retryAfterSeconds: 1, resourceType: 'Microsoft.Network/virtualNetworks', methods: ['PUT'] });
    const started = performance.now();
    const result = await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    const millis = performance.now() - started;
    expect(result.regions[0]!.state).toBe('running');
    const vnetPuts = fake.requests().filter((r) => r.method === 'PUT' && /virtualNetworks\/shop-vnet$/i.test(r.path.split('?')[0]!));
    expect(vnetPuts.map((r) => r.status)).toEqual([429, 429, 201]);
    // Two waits of Retry-After: 1 s each (the configured retryDelayInMs is 20 ms: the header won).
    expect(millis).toBeGreaterThanOrEqual(1_900);
  });

  it('bad credentials: a coded error per region, without the secret or a token in it', async () => {
    const secret = 'wrong-secret-value-0123456789';
    const provider = fakeProvider(fake, { credential: fakeCredential(fake, secret) });
    const result = await provider.deploy({ name: 'shop', regions: ['eu-west', 'us-east'] });
    for (const region of result.regions) {
      expect(region.state).toBe('failed');
      expect(region.error).toMatch(new RegExp(`^PROVIDER_ERROR: region "${region.regionId}": step resource-group failed: `));
      expect(region.error).not.toContain(secret);
    }
    const error = await provider.status('eu-west').catch((e: unknown) => e as MeridianError);
    expect(MeridianError.isInstance(error)).toBe(true);
    expect(inspect(error, { depth: 10 })).not.toContain(secret);
  });

  it('a revoked token: the 401 from ARM is PROVIDER_ERROR naming the region, no token printed', async () => {
    const provider = fakeProvider(fake);
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    const token = (await fakeCredential(fake).getToken(`${fake.url}/.default`))!.token;
    fake.revokeTokens();
    const error = (await provider.status('eu-west').catch((e: unknown) => e)) as MeridianError;
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.details).toMatchObject({ regionId: 'eu-west', statusCode: 401 });
    const printed = `${error.message}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;
    expect(printed).not.toContain(token);
    expect(printed).not.toMatch(/Bearer ey/);
  });

  it('ARM unreachable: REGION_UNAVAILABLE naming the region', async () => {
    const provider = fakeProvider(fake, { clientOptions: { tlsOptions: { ca: fake.caPem }, retryOptions: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 } } });
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    await fake.stop();
    const error = (await provider.status('eu-west').catch((e: unknown) => e)) as MeridianError;
    expect(error.code).toBe('REGION_UNAVAILABLE');
    expect(error.message).toContain('region "eu-west"');
    await fake.start();
  });

  it('rejects invalid options with INVALID_CONFIG naming the path', () => {
    expect(() => fakeProvider(fake, { subscriptionId: 'not-a-guid' })).toThrow(/subscriptionId/);
    expect(() => fakeProvider(fake, { regions: { 'eu-west': { location: 'West Europe' } } })).toThrow(/regions\.eu-west\.location/);
    expect(() => fakeProvider(fake, { credential: {} as never })).toThrow(/credential/);
  });
});
