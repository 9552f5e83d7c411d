import { MeridianError, type RegionProvider } from '@meridian/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a provider implementation gives the conformance suite. */
export interface ProviderFixture {
  provider: RegionProvider;
  /** Two or more region ids the provider can deploy to. */
  regionIds: string[];
  /** Sends one request to a deployed region's endpoint; resolves with the HTTP status (for `/health`). */
  probe(endpoint: string): Promise<number>;
  /** Frees what the fixture started. */
  close(): Promise<void>;
}

/**
 * The behaviour every RegionProvider must have (local, Kubernetes, Azure):
 * parallel deploy with progress, status, traffic weights validated, coded errors
 * for unknown regions, destroy, and abort honoured.
 */
export function runProviderConformance(name: string, makeFixture: () => Promise<ProviderFixture>): void {
  describe(`RegionProvider conformance: ${name}`, () => {
    let fx: ProviderFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.close();
    });

    it('deploys to several regions, reporting progress, and each answers on /health', async () => {
      const progress: string[] = [];
      const result = await fx.provider.deploy({ name: 'conformance', regions: fx.regionIds }, { onProgress: (p) => progress.push(`${p.regionId}:${p.status}`) });
      expect(result.regions.map((r) => r.regionId).sort()).toEqual([...fx.regionIds].sort());
      for (const region of result.regions) {
        expect(region.state).toBe('running');
        expect(await fx.probe(region.endpoint)).toBe(200);
        expect(progress).toContain(`${region.regionId}:started`);
        expect(progress).toContain(`${region.regionId}:completed`);
      }
    });

    it('reports status per region, and REGION_NOT_FOUND for an unknown one', async () => {
      const [first] = fx.regionIds;
      expect((await fx.provider.status(first!)).state).toBe('not-deployed');
      await fx.provider.deploy({ name: 'conformance', regions: [first!] });
      expect(await fx.provider.status(first!)).toMatchObject({ regionId: first, state: 'running', endpoint: expect.stringMatching(/^https?:\/\//) });
      await expect(fx.provider.status('no-such-region')).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_NOT_FOUND'));
      await expect(fx.provider.deploy({ name: 'conformance', regions: ['no-such-region'] })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_NOT_FOUND'));
    });

    it('accepts valid traffic weights and refuses bad ones with INVALID_CONFIG', async () => {
      const [a, b] = fx.regionIds;
      await fx.provider.deploy({ name: 'conformance', regions: fx.regionIds });
      await fx.provider.setTraffic({ [a!]: 100, [b!]: 0 });
      for (const bad of [{ [a!]: 0, [b!]: 0 }, { [a!]: -1 }, { [a!]: Number.NaN }, { 'no-such-region': 1 }]) {
        await expect(fx.provider.setTraffic(bad)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG'));
      }
    });

    it('destroy removes the workload', async () => {
      const [a] = fx.regionIds;
      const { regions } = await fx.provider.deploy({ name: 'conformance', regions: [a!] });
      await fx.provider.destroy([a!]);
      expect((await fx.provider.status(a!)).state).toBe('not-deployed');
      await expect(fx.probe(regions[0]!.endpoint)).rejects.toThrow();
    });

    it('refuses to start a deploy whose signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('changed my mind'));
      await expect(fx.provider.deploy({ name: 'conformance', regions: fx.regionIds }, { signal: controller.signal })).rejects.toSatisfy((e: unknown) =>
        MeridianError.hasCode(e, 'ABORTED'),
      );
    });
  });
}
