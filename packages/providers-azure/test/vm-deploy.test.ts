import { MeridianError, type DeployProgress } from '@meridian/core';
import type { FakeArm } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEPLOY_STEPS } from '../src/index.js';
import { fakeProvider, startQuickFakeArm } from './vm-fixture.js';

let fake: FakeArm;
beforeEach(async () => {
  fake = await startQuickFakeArm();
});
afterEach(async () => {
  await fake.close();
});

describe('AzureProvider deploy against the fake ARM', () => {
  it('deploys three regions in parallel, with progress per step, each VM running', async () => {
    const provider = fakeProvider(fake);
    const progress: DeployProgress[] = [];
    const result = await provider.deploy({ name: 'shop', regions: provider.regionIds(), env: { MODE: 'prod' } }, { onProgress: (p) => progress.push(p) });
    expect(result.regions.map((r) => [r.regionId, r.state])).toEqual([
      ['eu-west', 'running'],
      ['us-east', 'running'],
      ['ap-southeast', 'running'],
    ]);
    for (const region of result.regions) {
      expect(region.endpoint).toMatch(/^http:\/\/198\.51\.100\.\d+:8080$/);
      expect(region.resources).toHaveLength(6);
      const steps = progress.filter((p) => p.regionId === region.regionId);
      expect(steps.map((p) => `${p.step}:${p.status}`)).toEqual(DEPLOY_STEPS.flatMap((s) => [`${s}:started`, `${s}:completed`]));
      expect(await provider.status(region.regionId)).toMatchObject({ state: 'running', endpoint: region.endpoint, details: { powerState: 'running', provisioningState: 'succeeded' } });
    }
    // Parallel: every region started its first step before any finished its VM.
    const firstVmDone = progress.findIndex((p) => p.step === 'vm' && p.status === 'completed');
    expect(progress.slice(0, firstVmDone).filter((p) => p.step === 'resource-group' && p.status === 'started')).toHaveLength(3);
    const vms = fake.resources().filter((r) => r.type === 'Microsoft.Compute/virtualMachines');
    expect(vms.map((v) => [v.location, v.provisioningState]).sort()).toEqual([
      ['eastus', 'Succeeded'],
      ['southeastasia', 'Succeeded'],
      ['westeurope', 'Succeeded'],
    ]);
    // Automatically planned, non-overlapping address spaces.
    expect(provider.addressSpaces()).toEqual({ 'eu-west': '10.0.0.0/16', 'us-east': '10.1.0.0/16', 'ap-southeast': '10.2.0.0/16' });
  });

  it('renders cloud-init from the spec: env with REGION and TZ, the app as a service, /health', async () => {
    const provider = fakeProvider(fake);
    const rendered = provider.renderCloudInit({ name: 'shop', regions: ['eu-west'], env: { MODE: 'prod' }, overrides: { 'eu-west': { env: { MODE: 'canary' } } } });
    const cloudInit = rendered['eu-west']!;
    expect(cloudInit.startsWith('#cloud-config\n')).toBe(true);
    expect(cloudInit).toContain('timezone: "Europe/Amsterdam"');
    expect(cloudInit).toContain('REGION=\\"eu-west\\"');
    expect(cloudInit).toContain('TZ=\\"Europe/Amsterdam\\"');
    expect(cloudInit).toContain('MODE=\\"canary\\"');
    expect(cloudInit).toContain('/health');
    expect(cloudInit).toContain('systemctl, enable, --now, meridian-app.service');
  });

  it('one region failing (quota) while the others succeed: coded error naming region and ARM code, partial resources listed', async () => {
    fake.failLocation('eastus', { code: 'QuotaExceeded', message: 'Operation could not be completed as it results in exceeding approved standardBSFamily Cores quota.', resourceTypes: ['Microsoft.Compute/virtualMachines'] });
    const provider = fakeProvider(fake);
    const progress: DeployProgress[] = [];
    const result = await provider.deploy({ name: 'shop', regions: provider.regionIds() }, { onProgress: (p) => progress.push(p) });
    const byId = Object.fromEntries(result.regions.map((r) => [r.regionId, r]));
    expect(byId['eu-west']!.state).toBe('running');
    expect(byId['ap-southeast']!.state).toBe('running');
    const failed = byId['us-east']!;
    expect(failed).toMatchObject({ state: 'failed', failedStep: 'vm' });
    expect(failed.error).toMatch(/^PROVIDER_ERROR: region "us-east": step vm failed: QuotaExceeded: /);
    // Resource group, VNet, NSG, public IP and NIC were created before the VM failed.
    expect(failed.resources.map((id) => id.split('/').slice(-2).join('/'))).toEqual([
      'resourceGroups/meridian-test-us-east',
      'virtualNetworks/shop-vnet',
      'networkSecurityGroups/shop-nsg',
      'publicIPAddresses/shop-ip',
      'networkInterfaces/shop-nic',
    ]);
    const failure = progress.find((p) => p.status === 'failed')!;
    expect(failure).toMatchObject({ regionId: 'us-east', step: 'vm' });
    expect(failure.message).toContain('QuotaExceeded');
    expect(failure.message).toContain('shop-nic');
    expect(await provider.status('us-east')).toMatchObject({ state: 'not-deployed' });
    // Cleaned up on request.
    await provider.destroy(['us-east']);
    expect(fake.resources().filter((r) => r.id.toLowerCase().includes('/resourcegroups/meridian-test-us-east'))).toEqual([]);
    expect(fake.resources().filter((r) => r.type === 'Microsoft.Compute/virtualMachines')).toHaveLength(2);
  });

  it('an allocation failure after the VM was accepted leaves a Failed VM, reported and removable', async () => {
    fake.failLocation('southeastasia', { code: 'AllocationFailed', mode: 'async', resourceTypes: ['Microsoft.Compute/virtualMachines'] });
    const provider = fakeProvider(fake);
    const result = await provider.deploy({ name: 'shop', regions: ['ap-southeast'] });
    const [region] = result.regions;
    expect(region!.state).toBe('failed');
    expect(region!.error).toContain('AllocationFailed');
    expect(region!.resources.at(-1)).toMatch(/virtualMachines\/shop-vm$/);
    expect(await provider.status('ap-southeast')).toMatchObject({ state: 'failed', details: { provisioningState: 'failed' } });
    await provider.destroy(['ap-southeast']);
    expect(await provider.status('ap-southeast')).toMatchObject({ state: 'not-deployed' });
  });

  it('reports a VM size the location does not sell (SkuNotAvailable) and an unknown size (INVALID_CONFIG from the 400)', async () => {
    const provider = fakeProvider(fake, {
      regions: { 'ap-southeast': { location: 'southeastasia', vmSize: 'Standard_E2s_v5' }, 'eu-west': { location: 'westeurope', vmSize: 'Standard_Bogus_v9' } },
    });
    const result = await provider.deploy({ name: 'shop', regions: ['ap-southeast', 'eu-west'] });
    const [sea, weu] = result.regions;
    expect(sea!.error).toMatch(/^PROVIDER_ERROR: region "ap-southeast": step vm failed: SkuNotAvailable: /);
    expect(weu!.error).toMatch(/^INVALID_CONFIG: region "eu-west": step vm failed: InvalidParameter: /);
  });

  it('reports a location Azure does not know, naming the region', async () => {
    const provider = fakeProvider(fake, { regions: { mars: { location: 'marsnorth' }, 'eu-west': { location: 'westeurope' } } });
    const result = await provider.deploy({ name: 'shop', regions: ['mars', 'eu-west'] });
    expect(result.regions[0]).toMatchObject({ regionId: 'mars', state: 'failed', failedStep: 'resource-group', resources: [] });
    expect(result.regions[0]!.error).toMatch(/^INVALID_CONFIG: region "mars": step resource-group failed: LocationNotAvailableForResourceGroup: The provided location 'marsnorth'/);
    expect(result.regions[1]!.state).toBe('running');
  });

  it('refuses bad input before calling Azure', async () => {
    const provider = fakeProvider(fake);
    await expect(provider.deploy({ name: 'Shop_1', regions: ['eu-west'] })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG'));
    await expect(provider.deploy({ name: 'shop', regions: ['nowhere'] })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_NOT_FOUND'));
    await expect(provider.deploy({ name: 'shop', regions: ['eu-west'], env: { 'bad-key': 'x' } })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG'));
    await expect(provider.status('nowhere')).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_NOT_FOUND'));
    expect(fake.requests().filter((r) => r.method === 'PUT')).toHaveLength(0);
  });
});
