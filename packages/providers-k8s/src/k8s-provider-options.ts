import { MAX_TIMER_MILLIS, REGION_ID_PATTERN, type Clock, type GeoPoint } from '@meridian/core';
import { endpointUrlProblem, hasMethods } from '@meridian/core/spi';
import { z } from 'zod';
import { retrySchema, type KubeRetryOptions } from './retry-policy.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

/** A DNS-1123 label: namespaces, object names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$/;

const namespace = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, dashes)');
const httpUrl = z.string().superRefine((v, ctx) => {
  const problem = endpointUrlProblem(v);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
const millis = z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);

/** @internal */
export const k8sRegionSchema = z
  .object({
    context: z.string().min(1).optional(),
    kubeconfig: z.string().min(1).optional(),
    namespace: namespace.optional(),
    location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).strict(),
    timezone: z.string().min(1).optional(),
    locale: z.string().min(1).optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"').optional(),
    endpoint: httpUrl.optional(),
    dnsTarget: z.string().min(1).optional(),
    replicas: z.number().int().min(0).optional(),
  })
  .strict();

/** @internal */
export const dnsSchema = z
  .object({
    region: z.string().regex(REGION_ID_PATTERN).optional(),
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    namespace,
    dnsName: z.string().regex(DNS_NAME, 'must be a DNS name such as "shop.example.com"'),
    recordType: z.enum(['CNAME', 'A', 'AAAA']).default('CNAME'),
    ttl: z.number().int().min(1).max(86_400).default(60),
    objectName: z.string().regex(DNS_LABEL, 'must be a DNS-1123 label').optional(),
    weightProperty: z.string().min(1).default('aws/weight'),
  })
  .strict()
  .refine((d) => d.region !== undefined || d.kubeconfig !== undefined || d.context !== undefined, {
    message: 'name the DNS cluster: `region` (one of the regions) or `kubeconfig` / `context`',
  });

/** @internal */
export const k8sProviderOptionsSchema = z
  .object({
    regions: z
      .record(z.string().regex(REGION_ID_PATTERN, 'region ids must match ^[a-z0-9][a-z0-9-]{0,62}$'), k8sRegionSchema)
      .refine((r) => Object.keys(r).length > 0, { message: 'at least one region is required' }),
    kubeconfig: z.string().min(1).optional(),
    dns: dnsSchema.optional(),
    image: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65_535).default(8080),
    healthPath: z.string().startsWith('/', 'must start with "/"').default('/health'),
    serviceType: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
    fieldManager: z.string().min(1).max(128).default('meridian'),
    forceConflicts: z.boolean().default(false),
    concurrency: z.number().int().min(1).optional(),
    rolloutTimeoutMillis: millis.default(300_000),
    requestTimeoutMillis: millis.default(30_000),
    retry: retrySchema.prefault({}),
    watchBackoff: z
      .object({ baseDelayMillis: millis.default(500), maxDelayMillis: millis.default(30_000) })
      .strict()
      .prefault({}),
    clock: z.custom<Clock>((v) => hasMethods(v, ['now', 'setTimeout']), 'must be a Clock (with now, setTimeout)').optional(),
    random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
  })
  .strict();

/** @internal Options after validation and defaults. */
export type ResolvedK8sProviderOptions = z.output<typeof k8sProviderOptionsSchema>;
/** @internal */
export type ResolvedK8sRegion = z.output<typeof k8sRegionSchema>;
/** @internal */
export type ResolvedDnsOptions = z.output<typeof dnsSchema>;

/** One region: a namespace in one cluster (a kubeconfig context). */
export interface KubernetesRegionOptions {
  /**
   * Kubeconfig context of the region's cluster. Default: a context named like the
   * region id, else the current context of this region's own `kubeconfig`.
   */
  context?: string;
  /** Kubeconfig for this region only: a file path or the YAML text. Default: the provider's `kubeconfig`. */
  kubeconfig?: string;
  /** Namespace the workload goes to (it must exist). Default: the context's namespace, else `default`. */
  namespace?: string;
  /** Where the region is, for routing. */
  location: GeoPoint;
  /** IANA time zone of the region's users (ConfigMap `TZ`), e.g. `Europe/Dublin`. */
  timezone?: string;
  /** BCP 47 locale of the region's users (ConfigMap `LOCALE`), e.g. `en-IE`. */
  locale?: string;
  /** ISO 4217 currency of the region's users (ConfigMap `CURRENCY`), e.g. `EUR`. */
  currency?: string;
  /**
   * Public base URL of the region's workload (its ingress or load balancer), as
   * reported by `deploy` and `status`. Default the in-cluster address
   * `http://<name>.<namespace>.svc.cluster.local:<port>`.
   */
  endpoint?: string;
  /** Target of the region's weighted DNS record (a host name for CNAME, an IP for A/AAAA). Default the host of `endpoint`. */
  dnsTarget?: string;
  /** Replicas when the deploy spec does not say. Default 1. */
  replicas?: number;
}

/** Where `setTraffic` writes the weighted records (external-dns `DNSEndpoint`). */
export interface KubernetesDnsOptions {
  /** A region whose cluster runs external-dns. Or give `kubeconfig` / `context`. */
  region?: string;
  /** Kubeconfig of the DNS cluster (path or YAML text). Default the provider's. */
  kubeconfig?: string;
  /** Context of the DNS cluster. */
  context?: string;
  /** Namespace of the DNSEndpoint object (external-dns must watch it). */
  namespace: string;
  /** The record name, e.g. `shop.example.com`. */
  dnsName: string;
  /** `CNAME` (default), `A` or `AAAA`. */
  recordType?: 'CNAME' | 'A' | 'AAAA';
  /** Record TTL in seconds. Default 60. */
  ttl?: number;
  /** Name of the DNSEndpoint object. Default the `dnsName` with dots as dashes. */
  objectName?: string;
  /**
   * The `providerSpecific` property that carries the weight. Default `aws/weight`
   * (Route 53 weighted routing); see docs/providers/kubernetes.md to adapt it.
   */
  weightProperty?: string;
}

/** Options of {@link createKubernetesProvider}. */
export interface KubernetesProviderOptions {
  /** Regions by id. */
  regions: Record<string, KubernetesRegionOptions>;
  /** Kubeconfig shared by the regions: a path or the YAML text. Default `$KUBECONFIG`, else `~/.kube/config`. */
  kubeconfig?: string;
  /** Weighted DNS for `setTraffic`. Without it `setTraffic` fails with INVALID_CONFIG. */
  dns?: KubernetesDnsOptions;
  /** Container image when the spec's `workload.image` is not set. */
  image?: string;
  /** Container and Service port. Default 8080. */
  port?: number;
  /** Readiness probe path. Default `/health`. */
  healthPath?: string;
  /** Service type. Default `ClusterIP`. */
  serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** Server-side apply field manager. Default `meridian`. */
  fieldManager?: string;
  /** Take over fields owned by other managers (`force=true`) instead of failing with a conflict. Default false. */
  forceConflicts?: boolean;
  /** Clusters deployed at once. Default all. */
  concurrency?: number;
  /** Longest wait for a Deployment to become Available. Default 300000. */
  rolloutTimeoutMillis?: number;
  /** Longest wait for one API request. Default 30000. */
  requestTimeoutMillis?: number;
  /** Retries of 429, 5xx and unreachable clusters. */
  retry?: KubeRetryOptions;
  /** Reconnect backoff of the Deployment watches. */
  watchBackoff?: WatchBackoffOptions;
  /** Time source for retries, timeouts and reconnects. Default the system clock. */
  clock?: Clock;
  /** Random source for retry jitter, 0 <= x < 1. Default Math.random. */
  random?: () => number;
}

/** How a dropped or failing watch reconnects. */
export interface WatchBackoffOptions {
  /** First delay after a failed reconnect. Default 500. */
  baseDelayMillis?: number;
  /** Longest delay. Default 30000. */
  maxDelayMillis?: number;
}
