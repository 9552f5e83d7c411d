import { MeridianError } from '@meridian/core';
import { createKubernetesProvider, FENCING_ANNOTATION, type KubernetesProvider } from '@meridian/providers-k8s';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { regionOptions, startClusters, type Clusters } from './clusters.js';

const IDS = ['eu-west', 'us-east', 'ap-south'];
const DNS = { region: 'eu-west', namespace: 'default', dnsName: 'shop.example.com', ttl: 30 };

describe('KubernetesProvider setTraffic: external-dns DNSEndpoint records', () => {
  let clusters: Clusters;
  let provider: KubernetesProvider;
  beforeEach(async () => {
    clusters = await startClusters(IDS);
    provider = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(IDS), dns: DNS, image: 'shop:1', retry: { baseDelayMillis: 1 } });
  });
  afterEach(async () => {
    await provider.close();
    await clusters.close();
  });

  const endpoints = () => {
    const object = clusters.servers['eu-west']!.read('externaldns.k8s.io/v1alpha1', 'DNSEndpoint', 'shop-example-com', 'default');
    return object ? { annotations: object.metadata.annotations, endpoints: (object['spec'] as { endpoints: unknown[] }).endpoints } : undefined;
  };

  it('writes one weighted record per region with weight > 0, the region id as set identifier', async () => {
    await provider.setTraffic({ 'eu-west': 60, 'us-east': 40, 'ap-south': 0 }, { fencingToken: 3 });
    expect(endpoints()).toEqual({
      annotations: { [FENCING_ANNOTATION]: '3' },
      endpoints: [
        { dnsName: 'shop.example.com', recordType: 'CNAME', recordTTL: 30, targets: ['eu-west.shop.example.com'], setIdentifier: 'eu-west', providerSpecific: [{ name: 'aws/weight', value: '60' }] },
        { dnsName: 'shop.example.com', recordType: 'CNAME', recordTTL: 30, targets: ['us-east.shop.example.com'], setIdentifier: 'us-east', providerSpecific: [{ name: 'aws/weight', value: '40' }] },
      ],
    });
    expect(clusters.servers['us-east']!.requests().filter((r) => r.path.includes('dnsendpoints'))).toHaveLength(0);
    // A shift replaces the records: regions at 0 or left out disappear, fractional weights become Route 53 integers.
    await provider.setTraffic({ 'ap-south': 0.5, 'us-east': 1 }, { fencingToken: 4 });
    expect(endpoints()!.endpoints.map((e) => [(e as { setIdentifier: string }).setIdentifier, (e as { providerSpecific: Array<{ value: string }> }).providerSpecific[0]!.value])).toEqual([
      ['ap-south', '128'],
      ['us-east', '255'],
    ]);
    expect(provider.traffic()).toEqual({ 'eu-west': 0, 'us-east': 1, 'ap-south': 0.5 });
  });

  it('refuses a fencing token lower than the highest seen with LEASE_LOST, in this instance and in another one', async () => {
    await provider.setTraffic({ 'eu-west': 100 }, { fencingToken: 7 });
    await expect(provider.setTraffic({ 'us-east': 100 }, { fencingToken: 6 })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST') && /token 6 is older than 7/.test((e as Error).message));
    // A second instance (a stale leader elsewhere) is fenced by the token stored on the object.
    const other = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(IDS), dns: DNS, image: 'shop:1' });
    await expect(other.setTraffic({ 'us-east': 100 }, { fencingToken: 5 })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST') && /DNSEndpoint default\/shop-example-com/.test((e as Error).message));
    await other.setTraffic({ 'us-east': 100 }, { fencingToken: 8 });
    await other.close();
    expect(endpoints()!.annotations).toEqual({ [FENCING_ANNOTATION]: '8' });
    expect(endpoints()!.endpoints).toHaveLength(1);
    // Without a token, the stored one is kept.
    await provider.setTraffic({ 'eu-west': 1, 'us-east': 1 });
    expect(endpoints()!.annotations).toEqual({ [FENCING_ANNOTATION]: '8' });
  });

  it('removeTraffic deletes the DNSEndpoint (nothing left of the records); a later setTraffic writes it again', async () => {
    await provider.setTraffic({ 'eu-west': 100 }, { fencingToken: 2 });
    expect(endpoints()).toBeDefined();
    await provider.removeTraffic();
    expect(endpoints()).toBeUndefined();
    expect(provider.traffic()).toBeUndefined();
    await provider.removeTraffic(); // already gone: fine
    await provider.setTraffic({ 'us-east': 100 }, { fencingToken: 3 });
    expect(endpoints()!.endpoints).toHaveLength(1);
  });

  it('refuses bad weights with INVALID_CONFIG before writing anything', async () => {
    for (const bad of [{ 'eu-west': 0 }, { 'eu-west': -1 }, { mars: 1 }] as Array<Record<string, number>>) {
      await expect(provider.setTraffic(bad)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG'));
    }
    expect(endpoints()).toBeUndefined();
  });

  it('a missing DNSEndpoint CRD is a coded error saying what to install', async () => {
    const noCrd = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(IDS), dns: { ...DNS, region: 'us-east' }, image: 'shop:1' });
    await expect(noCrd.setTraffic({ 'eu-west': 1 })).rejects.toSatisfy(
      (e: unknown) => MeridianError.hasCode(e, 'PROVIDER_ERROR') && /DNS cluster \(region "us-east"\): the DNSEndpoint CRD \(dnsendpoints\.externaldns\.k8s\.io/.test((e as Error).message) && (e as MeridianError).details['reason'] === 'CRD_MISSING',
    );
    await noCrd.close();
  });

  it('without the dns option setTraffic is INVALID_CONFIG naming it', async () => {
    const noDns = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(IDS), image: 'shop:1' });
    await expect(noDns.setTraffic({ 'eu-west': 1 })).rejects.toThrow(/dns: setTraffic needs the `dns` option/);
    await noDns.close();
  });

  it('an A record takes the dnsTarget addresses; a DNS cluster can be a separate context', async () => {
    const regions = Object.fromEntries(IDS.map((id, i) => [id, { ...regionOptions([id])[id]!, dnsTarget: `192.0.2.${i + 1}` }]));
    const a = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions, dns: { context: 'eu-west', namespace: 'default', dnsName: 'api.example.com', recordType: 'A', objectName: 'api' }, image: 'shop:1' });
    await a.setTraffic({ 'ap-south': 1 });
    const object = clusters.servers['eu-west']!.read('externaldns.k8s.io/v1alpha1', 'DNSEndpoint', 'api', 'default')!;
    expect((object['spec'] as { endpoints: unknown[] }).endpoints).toEqual([
      { dnsName: 'api.example.com', recordType: 'A', recordTTL: 60, targets: ['192.0.2.3'], setIdentifier: 'ap-south', providerSpecific: [{ name: 'aws/weight', value: '1' }] },
    ]);
    await a.close();
  });
});
