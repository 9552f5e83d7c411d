import type { TokenCredential } from '@azure/core-auth';
import { AnonymousCredential, BlobServiceClient, ContainerClient, StorageSharedKeyCredential, type StoragePipelineOptions } from '@azure/storage-blob';
import { MAX_TIMER_MILLIS } from '@meridian/core';
import { invalidConfig } from '@meridian/core/spi';
import { z } from 'zod';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

/** How a Blob store reaches its container: a client from the host, or an account URL with a credential. */
export interface AzureBlobConnectionOptions {
  /** A `BlobServiceClient` or `ContainerClient` the host already built (its pipeline, retries and credential are used as they are). */
  client?: BlobServiceClient | ContainerClient;
  /** `https://<account>.blob.core.windows.net`, used with `credential`. */
  accountUrl?: string;
  /** Any `TokenCredential` (e.g. `DefaultAzureCredential` from `@azure/identity`), or a `StorageSharedKeyCredential`. */
  credential?: TokenCredential | StorageSharedKeyCredential | AnonymousCredential;
  /** A storage connection string (Azurite's development account in tests). */
  connectionString?: string;
  /** Container name; required unless `client` is a `ContainerClient`. Created on first use if missing. */
  containerName?: string;
  /** Attempts per request for clients built here (not for a host's `client`). Default 3. */
  maxTries?: number;
  /** Longest wait for one attempt, for clients built here. Default 30000. */
  tryTimeoutMillis?: number;
  /** Create the container when it is missing. Default true (turn off for a container-scoped SAS). */
  createContainer?: boolean;
}

const CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export const connectionSchema = z
  .object({
    client: z.custom<BlobServiceClient | ContainerClient>((v) => isContainerClient(v) || isServiceClient(v), 'must be a BlobServiceClient or ContainerClient').optional(),
    accountUrl: z.url({ protocol: /^https?$/ }).optional(),
    credential: z.custom<TokenCredential | StorageSharedKeyCredential | AnonymousCredential>((v) => typeof v === 'object' && v !== null, 'must be a TokenCredential or StorageSharedKeyCredential').optional(),
    connectionString: z.string().min(1).optional(),
    containerName: z.string().regex(CONTAINER_NAME, 'must be a container name (3-63 lowercase letters, digits, single hyphens)').optional(),
    maxTries: z.number().int().min(1).max(10).default(3),
    tryTimeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(30_000),
    createContainer: z.boolean().default(true),
  })
  .strict();

/** A resolved connection: the container and a label naming it (never a key or SAS). */
export interface BlobConnection {
  container: ContainerClient;
  /** `container "x" in account "y"`. */
  where: string;
  createContainer: boolean;
}

function isContainerClient(v: unknown): v is ContainerClient {
  return typeof v === 'object' && v !== null && typeof (v as ContainerClient).getBlockBlobClient === 'function' && typeof (v as ContainerClient).containerName === 'string';
}

function isServiceClient(v: unknown): v is BlobServiceClient {
  return typeof v === 'object' && v !== null && typeof (v as BlobServiceClient).getContainerClient === 'function';
}

/** Builds the container client from validated options; exactly one way to connect must be given. */
export function connect(o: z.output<typeof connectionSchema>, where: string): BlobConnection {
  const ways = [o.client, o.connectionString, o.accountUrl].filter((v) => v !== undefined).length;
  if (ways !== 1) {
    throw invalidConfig(where, [{ path: '(root)', message: 'give exactly one of client, connectionString, or accountUrl with credential', value: `${ways} given` }]);
  }
  if (o.accountUrl !== undefined && o.credential === undefined) {
    throw invalidConfig(where, [{ path: 'credential', message: 'is required with accountUrl (e.g. new DefaultAzureCredential())', value: 'undefined' }]);
  }
  const pipeline: StoragePipelineOptions = { retryOptions: { maxTries: o.maxTries, tryTimeoutInMs: o.tryTimeoutMillis } };
  let container: ContainerClient;
  if (o.client && isContainerClient(o.client)) {
    container = o.client;
  } else {
    if (o.containerName === undefined) throw invalidConfig(where, [{ path: 'containerName', message: 'is required unless client is a ContainerClient', value: 'undefined' }]);
    const service = o.client ?? (o.connectionString !== undefined ? BlobServiceClient.fromConnectionString(o.connectionString, pipeline) : new BlobServiceClient(o.accountUrl!, o.credential, pipeline));
    container = (service as BlobServiceClient).getContainerClient(o.containerName);
  }
  return { container, where: `container "${container.containerName}" in account "${container.accountName || new URL(container.url).host}"`, createContainer: o.createContainer };
}
