import { MeridianError, type TrafficWeights } from '@meridian/core';
import type { ResolvedDnsOptions } from './k8s-provider-options.js';
import type { KubeClient } from './kube-client.js';
import { statusError, type KubeStatusBody } from './kube-errors.js';
import { LABEL_MANAGED_BY, MANAGED_BY } from './render-manifests.js';

/** The annotation holding the highest fencing token that wrote the records. */
export const FENCING_ANNOTATION = 'meridian.dev/fencing-token';
const API = 'externaldns.k8s.io/v1alpha1';
const RESOURCE = 'dnsendpoints.externaldns.k8s.io';

/** One weighted record, as external-dns reads it. */
export interface DnsEndpointRecord {
  /** The record name, e.g. `shop.example.com`. */
  dnsName: string;
  /** `CNAME`, `A` or `AAAA`. */
  recordType: string;
  /** TTL in seconds. */
  recordTTL: number;
  /** The region's target (one). */
  targets: string[];
  /** The region id: tells the weighted records of one name apart. */
  setIdentifier: string;
  /** The weight, as `{ name: weightProperty, value }`. */
  providerSpecific: ProviderSpecificProperty[];
}

/** One external-dns provider-specific property. */
export interface ProviderSpecificProperty {
  /** Property name, e.g. `aws/weight`. */
  name: string;
  /** Its value, as a string. */
  value: string;
}

interface DnsEndpointObject {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { endpoints?: DnsEndpointRecord[] };
}

/** The default object name: the DNS name with dots as dashes. */
export function dnsObjectName(dns: Pick<ResolvedDnsOptions, 'dnsName' | 'objectName'>): string {
  return dns.objectName ?? dns.dnsName.replace(/\.$/, '').replace(/^\*\./, 'wildcard.').replaceAll('.', '-').slice(0, 63).replace(/-+$/, '');
}

/**
 * Weights as Route 53 takes them (integers 0..255): kept when they already
 * are, else scaled so the largest is 255 (every positive weight stays >= 1).
 */
export function recordWeights(weights: TrafficWeights): Record<string, number> {
  const positive = Object.entries(weights).filter(([, w]) => w > 0);
  if (positive.every(([, w]) => Number.isInteger(w) && w <= 255)) return Object.fromEntries(positive);
  const max = Math.max(...positive.map(([, w]) => w));
  return Object.fromEntries(positive.map(([id, w]) => [id, Math.max(1, Math.round((w / max) * 255))]));
}

/** The records for `weights`: one per region with weight > 0, its id as `setIdentifier`. */
export function renderEndpoints(dns: ResolvedDnsOptions, weights: TrafficWeights, targets: Record<string, string>): DnsEndpointRecord[] {
  return Object.entries(recordWeights(weights))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([regionId, weight]) => ({
      dnsName: dns.dnsName,
      recordType: dns.recordType,
      recordTTL: dns.ttl,
      targets: [targets[regionId]!],
      setIdentifier: regionId,
      providerSpecific: [{ name: dns.weightProperty, value: String(weight) }],
    }));
}

/**
 * Writes the weighted records as one `DNSEndpoint` (one object, so a shift is
 * atomic), fenced: the object keeps the highest fencing token that wrote it,
 * and a lower one is refused with LEASE_LOST, across provider instances too.
 */
export async function writeDnsEndpoint(
  client: KubeClient,
  dns: ResolvedDnsOptions,
  records: DnsEndpointRecord[],
  fencingToken: number | undefined,
  apply: { fieldManager: string; force: boolean },
  signal: AbortSignal | undefined,
): Promise<void> {
  const name = dnsObjectName(dns);
  const path = `/apis/${API}/namespaces/${dns.namespace}/dnsendpoints/${name}`;
  const common = { resource: RESOURCE, namespace: dns.namespace, signal } as const;
  for (let attempt = 1; ; attempt++) {
    const read = await client.request<DnsEndpointObject | KubeStatusBody>({ ...common, method: 'GET', path, what: `read DNSEndpoint ${dns.namespace}/${name}`, verb: 'get', expect: [404] });
    let existing: DnsEndpointObject | undefined;
    if (read.status === 404) {
      if ((read.body as KubeStatusBody | undefined)?.details?.name !== name) throw crdMissing(client, dns);
    } else existing = read.body as DnsEndpointObject;
    const stored = Number(existing?.metadata.annotations?.[FENCING_ANNOTATION] ?? Number.NaN);
    if (fencingToken !== undefined && Number.isFinite(stored) && fencingToken < stored) {
      throw new MeridianError('LEASE_LOST', `setTraffic refused: fencing token ${fencingToken} is older than ${stored} (DNSEndpoint ${dns.namespace}/${name}); another instance holds the lease`, {
        details: { fencingToken, highest: stored },
      });
    }
    const token = fencingToken === undefined ? (Number.isFinite(stored) ? stored : undefined) : Math.max(fencingToken, Number.isFinite(stored) ? stored : 0);
    const body = {
      apiVersion: API,
      kind: 'DNSEndpoint',
      metadata: {
        name,
        namespace: dns.namespace,
        labels: { [LABEL_MANAGED_BY]: MANAGED_BY },
        ...(token !== undefined ? { annotations: { [FENCING_ANNOTATION]: String(token) } } : {}),
        // A precondition: if another writer changed it since the read, the apply fails with 409 and we read again.
        ...(existing?.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      spec: { endpoints: records },
    };
    const res = await client.request<KubeStatusBody>({
      ...common,
      method: 'PATCH',
      path,
      query: { fieldManager: apply.fieldManager, ...(apply.force ? { force: 'true' } : {}) },
      body,
      contentType: 'application/apply-patch+yaml',
      what: `apply DNSEndpoint ${dns.namespace}/${name}`,
      verb: 'patch',
      expect: [404, 409],
    });
    if (res.status < 300) return;
    const stale = res.status === 409 && !res.body?.details?.causes?.some((c) => c.type === 'FieldManagerConflict');
    if (res.status === 404 && (res.body?.details?.name !== name || !existing)) throw crdMissing(client, dns);
    if ((stale || res.status === 404) && attempt < 5) continue;
    throw statusError({ owner: client.settings.owner, server: client.connection.server, what: `apply DNSEndpoint ${dns.namespace}/${name}`, verb: 'patch', resource: RESOURCE, namespace: dns.namespace, unavailableCode: client.settings.unavailableCode }, res.status, res.body, attempt);
  }
}

function crdMissing(client: KubeClient, dns: ResolvedDnsOptions): MeridianError {
  return new MeridianError(
    'PROVIDER_ERROR',
    `${client.settings.owner}: the DNSEndpoint CRD (${RESOURCE}, ${API}) is not installed in cluster ${client.connection.server}; install external-dns's CRD there (setTraffic writes DNSEndpoint objects in namespace "${dns.namespace}")`,
    { details: { reason: 'CRD_MISSING', server: client.connection.server, resource: RESOURCE } },
  );
}

/** Deletes the `DNSEndpoint` (every weighted record of the name); already gone is fine. */
export async function deleteDnsEndpoint(client: KubeClient, dns: ResolvedDnsOptions, signal: AbortSignal | undefined): Promise<void> {
  const name = dnsObjectName(dns);
  const res = await client.request<KubeStatusBody>({
    resource: RESOURCE,
    namespace: dns.namespace,
    signal,
    method: 'DELETE',
    path: `/apis/${API}/namespaces/${dns.namespace}/dnsendpoints/${name}`,
    what: `delete DNSEndpoint ${dns.namespace}/${name}`,
    verb: 'delete',
    expect: [404],
  });
  // A 404 that is not about this object means the CRD itself is missing: nothing was ever written.
  if (res.status === 404 && res.body?.details?.name !== name) return;
}
