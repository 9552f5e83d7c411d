import { MAX_TIMER_MILLIS } from '@meridian/core';
import { z } from 'zod';
import { withoutCredentials } from './credential-keys.js';

// The `provider` block of the config, one schema per kind (a union on `kind`).
// Defaults live here and in docs/operations/cli.md; keep both in step.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;
const millis = z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);
const nonNegativeMillis = z.number().int().min(0).max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);
const port = z.number().int().min(1).max(65_535);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$/;
const namespace = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, dashes), e.g. "shop"');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' });
/** The kinds there are, in the order messages list them. */
export const PROVIDER_KINDS = ['local', 'kubernetes', 'azure'] as const;

const localProvider = z
  .object({
    kind: z.literal('local'),
    startTimeoutMillis: millis.default(10_000),
    stopGraceMillis: nonNegativeMillis.default(2_000),
    frontDoorPort: z.number().int().min(0).max(65_535).default(0),
    // Where the regions keep their sessions (a file each): a region or an agent restarted brings them back.
    dataDir: z.string().min(1).optional(),
  })
  .strict();

const kubernetesRegion = z
  .object({
    context: z.string().min(1).optional(),
    namespace: namespace.optional(),
    endpoint: httpUrl.optional(),
    dnsTarget: z.string().min(1).optional(),
  })
  .strict();

const kubernetesProvider = z
  .object({
    kind: z.literal('kubernetes'),
    kubeconfig: z.string().min(1).optional(),
    namespace: namespace.default('default'),
    image: z.string().min(1),
    port: port.default(8080),
    serviceType: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
    rolloutTimeoutMillis: millis.default(300_000),
    dns: z
      .object({
        region: z.string().min(1).optional(),
        namespace: namespace.optional(),
        dnsName: z.string().regex(DNS_NAME, 'must be a DNS name such as "shop.example.com"'),
        recordType: z.enum(['CNAME', 'A', 'AAAA']).default('CNAME'),
        ttl: z.number().int().min(1).max(86_400).default(60),
        weightProperty: z.string().min(1).default('aws/weight'),
      })
      .strict(),
    lease: z
      .object({ region: z.string().min(1).optional(), namespace: namespace.optional() })
      .strict()
      .prefault({}),
    regions: z.record(z.string(), kubernetesRegion).default({}),
  })
  .strict();

const imageReference = z.object({ publisher: z.string().min(1), offer: z.string().min(1), sku: z.string().min(1), version: z.string().min(1).default('latest') }).strict();
const azureRegion = z
  .object({
    location: z.string().regex(/^[a-z][a-z0-9]{1,39}$/, 'must be an Azure region name such as "westeurope" (lowercase, no spaces)'),
    vmSize: z.string().regex(/^[A-Za-z0-9_]{1,80}$/, 'must be a VM size such as "Standard_B2s"').default('Standard_B1s'),
    image: imageReference.optional(),
  })
  .strict();

const azureProvider = z
  .object({
    kind: z.literal('azure'),
    subscriptionId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a subscription id (a UUID)'),
    resourceGroupPrefix: z.string().regex(/^[-\w._()]{1,60}$/, 'must be 1-60 letters, digits, "-", "_", ".", "(" or ")"').default('meridian'),
    armEndpoint: httpsUrl.optional(),
    pricesUrl: httpUrl.optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"').default('USD'),
    image: imageReference.optional(),
    adminUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name').default('meridian'),
    sshPublicKeyFile: z.string().min(1).optional(),
    port: port.default(8080),
    peering: z.boolean().default(false),
    trafficManager: z
      .object({
        profile: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be 1-63 letters, digits and hyphens (it is the DNS label <profile>.trafficmanager.net)'),
        resourceGroup: z.string().regex(/^[-\w._()]{1,90}$/).optional(),
        routing: z.enum(['Priority', 'Weighted']).default('Priority'),
        dnsTtlSeconds: z.number().int().min(0).max(2_147_483_647).default(30),
      })
      .strict(),
    storage: z
      .object({
        accountUrl: httpUrl.refine((u) => new URL(u).search === '', 'must not carry a query string (a SAS token is a credential: use DefaultAzureCredential or AZURE_STORAGE_CONNECTION_STRING)').optional(),
        container: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a container name (3-63 lowercase letters, digits, single hyphens)').default('meridian'),
      })
      .strict()
      .prefault({}),
    pollIntervalMillis: millis.optional(),
    regions: z.record(z.string(), azureRegion),
  })
  .strict();

/** `provider`: one schema per kind, chosen by `kind`; credentials anywhere in it are refused first. */
export const providerSchema = withoutCredentials(
  z.discriminatedUnion('kind', [localProvider, kubernetesProvider, azureProvider], {
    error: (issue) => (issue.code === 'invalid_union' ? `unknown provider kind: must be one of ${PROVIDER_KINDS.map((k) => `"${k}"`).join(', ')}` : undefined),
  }),
);

/** The validated `provider` block. */
export type ProviderConfig = z.output<typeof providerSchema>;
/** `provider` of kind kubernetes. */
export type KubernetesProviderConfig = Extract<ProviderConfig, { kind: 'kubernetes' }>;
/** `provider` of kind azure. */
export type AzureProviderConfig = Extract<ProviderConfig, { kind: 'azure' }>;
