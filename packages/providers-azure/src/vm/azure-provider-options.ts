import type { TokenCredential } from '@azure/core-auth';
import { MAX_TIMER_MILLIS, REGION_ID_PATTERN } from '@meridian/core';
import { endpointUrlProblem, hasMethods } from '@meridian/core/spi';
import { z } from 'zod';
import type { AzureClientOptions } from './arm-clients.js';
import type { RetailPricesClient } from '../prices/retail-prices-client.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
// Resource group names are 1-90 chars; the region id is appended to the prefix.
const RG_PREFIX = /^[-\w._()]{1,60}$/;
const LOCATION = /^[a-z][a-z0-9]{1,39}$/;

const cidr = z.string().refine((v) => {
  const m = CIDR.exec(v);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) >= 8 && Number(m[5]) <= 29;
}, 'must be an IPv4 CIDR prefix between /8 and /29, e.g. "10.1.0.0/16"');

const imageSchema = z.object({ publisher: z.string().min(1), offer: z.string().min(1), sku: z.string().min(1), version: z.string().min(1).default('latest') }).strict();

/** @internal */
export const azureRegionSchema = z
  .object({
    location: z.string().regex(LOCATION, 'must be an Azure region name such as "westeurope" (lowercase, no spaces)'),
    vmSize: z.string().min(1).default('Standard_B1s'),
    addressSpace: cidr.optional(),
    image: imageSchema.optional(),
    timezone: z.string().min(1).optional(),
    locale: z.string().min(1).optional(),
  })
  .strict();

/** @internal */
export const azureProviderOptionsSchema = z
  .object({
    subscriptionId: z.string().regex(UUID, 'must be a subscription id (a UUID)'),
    credential: z.custom<TokenCredential>((v) => hasMethods(v, ['getToken']), 'must be a TokenCredential (an object with getToken), e.g. new DefaultAzureCredential()'),
    resourceGroupPrefix: z.string().regex(RG_PREFIX, 'must be 1-60 letters, digits, "-", "_", ".", "(" or ")"').default('meridian'),
    regions: z
      .record(z.string().regex(REGION_ID_PATTERN, 'must be a region id (lowercase letters, digits, dashes)'), azureRegionSchema)
      .refine((r) => Object.keys(r).length > 0, 'must name at least one region'),
    trafficManager: z
      .object({
        resourceGroup: z.string().regex(RG_PREFIX),
        profileName: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be 1-63 letters, digits and hyphens'),
        routing: z.enum(['Weighted', 'Priority']).default('Weighted'),
        location: z.string().regex(LOCATION).optional(),
        dnsTtlSeconds: z.number().int().min(0).max(2_147_483_647).default(30),
      })
      .strict()
      .optional(),
    peering: z.boolean().default(false),
    port: z.number().int().min(1).max(65_535).default(8080),
    sshSourcePrefix: z.string().min(1).optional(),
    adminUsername: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name').default('meridian'),
    adminSshPublicKey: z.string().regex(/^ssh-(rsa|ed25519) /, 'must be an OpenSSH public key').optional(),
    image: imageSchema.optional(),
    endpoint: z
      .string()
      .superRefine((v, ctx) => {
        const problem = endpointUrlProblem(v, ['https:']);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    clientOptions: z.custom<AzureClientOptions>((v) => v === undefined || (typeof v === 'object' && v !== null)).optional(),
    pricesClient: z.custom<Pick<RetailPricesClient, 'vmHourlyPrice'>>((v) => hasMethods(v, ['vmHourlyPrice']), 'must be a Retail Prices client, e.g. createRetailPricesClient()').optional(),
    concurrency: z.number().int().min(1).optional(),
    pollIntervalMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).optional(),
  })
  .strict();

/** @internal */
export type ResolvedAzureProviderOptions = z.output<typeof azureProviderOptionsSchema>;
/** @internal */
export type ResolvedAzureRegion = z.output<typeof azureRegionSchema>;

/** A Marketplace image reference. */
export interface AzureImageReference {
  /** e.g. `Canonical`. */
  publisher: string;
  /** e.g. `0001-com-ubuntu-server-jammy`. */
  offer: string;
  /** e.g. `22_04-lts-gen2`. */
  sku: string;
  /** Default `latest`. */
  version?: string;
}

/** One region: an Azure location with its VM size and network. */
export interface AzureRegionOptions {
  /** Azure region name, e.g. `westeurope`. */
  location: string;
  /** VM size. Default `Standard_B1s`. */
  vmSize?: string;
  /** VNet address space, e.g. `10.3.0.0/16`. Default: a free `10.N.0.0/16`, planned so no two regions overlap. */
  addressSpace?: string;
  /** VM image. Default the provider's `image`, else Ubuntu 22.04 LTS. */
  image?: AzureImageReference;
  /** IANA time zone of the region's users (`TZ` of the app), e.g. `Europe/Dublin`. */
  timezone?: string;
  /** BCP 47 locale of the region's users (`LOCALE` of the app). */
  locale?: string;
}

/** Traffic Manager profile that `setTraffic` updates. */
export interface AzureTrafficManagerOptions {
  /** Resource group of the profile (created when missing). */
  resourceGroup: string;
  /** Profile name; also its DNS label (`<name>.trafficmanager.net`). */
  profileName: string;
  /** `Weighted` (default): weights as given; `Priority`: the highest weight first. */
  routing?: 'Weighted' | 'Priority';
  /** Location of the profile's resource group. Default the first region's location. */
  location?: string;
  /** DNS TTL of the profile in seconds. Default 30. */
  dnsTtlSeconds?: number;
}

/** Options of {@link createAzureProvider}. */
export interface AzureProviderOptions {
  /** Subscription to deploy to (a UUID). */
  subscriptionId: string;
  /** Azure credential, e.g. `new DefaultAzureCredential()`. The provider never reads secrets itself. */
  credential: TokenCredential;
  /** Resource groups are named `<prefix>-<regionId>`. Default `meridian`. */
  resourceGroupPrefix?: string;
  /** Regions by id. */
  regions: Record<string, AzureRegionOptions>;
  /** Traffic Manager for `setTraffic`. Without it `setTraffic` fails with INVALID_CONFIG. */
  trafficManager?: AzureTrafficManagerOptions;
  /** Peer the VNets of the deployed regions in a full mesh (both directions). Default false. */
  peering?: boolean;
  /** Port the app listens on (opened in the NSG, probed on `/health`). Default 8080. */
  port?: number;
  /** Source prefix allowed to SSH (port 22). Default: SSH closed. */
  sshSourcePrefix?: string;
  /** VM admin user. Default `meridian`. */
  adminUsername?: string;
  /** OpenSSH public key of the admin user. Default: a throwaway key whose private half is discarded. */
  adminSshPublicKey?: string;
  /** Default VM image of every region. Default Ubuntu 22.04 LTS (gen2). */
  image?: AzureImageReference;
  /** ARM endpoint. Default `https://management.azure.com`. */
  endpoint?: string;
  /** Passed to every SDK client (retry options, `tlsOptions` with a CA, extra policies). */
  clientOptions?: AzureClientOptions;
  /** Where `prices()` gets VM prices, e.g. `createRetailPricesClient()`. Without it `prices()` returns []. */
  pricesClient?: Pick<RetailPricesClient, 'vmHourlyPrice'>;
  /** Regions deployed at once. Default all. */
  concurrency?: number;
  /** How often long-running operations are polled. Default: the SDK's (the server's `Retry-After`, else 2000). */
  pollIntervalMillis?: number;
}
