// Public API of @meridian/providers-azure. Explicit exports only.
export { AzureBlobSnapshotStore } from './blob/azure-blob-snapshot-store.js';
export type { AzureBlobSnapshotStoreOptions } from './blob/azure-blob-snapshot-store.js';
export { AzureBlobLeaseStore } from './blob/azure-blob-lease-store.js';
export type { AzureBlobLeaseStoreOptions } from './blob/azure-blob-lease-store.js';
export type { AzureBlobConnectionOptions } from './blob/blob-connection.js';
export { createRetailPricesClient } from './prices/retail-prices-client.js';
export type { RetailPricesClient, RetailPricesClientOptions, RetailPricesFetch, RetailPricesResponse, VmPrice, VmPriceQuery } from './prices/retail-prices-client.js';
export { costReport } from './prices/cost-report.js';
export type { CostReport, CostReportOptions, CostReportRegion, RegionCost, CostSaving, UnpricedRegion } from './prices/cost-report.js';
export { AzureProvider, createAzureProvider } from './vm/azure-provider.js';
export type { AzureDeployResult } from './vm/azure-provider.js';
export type { AzureDeployedRegion, DeployStep } from './vm/deploy-region.js';
export { DEPLOY_STEPS } from './vm/deploy-region.js';
export type { AzureImageReference, AzureProviderOptions, AzureRegionOptions, AzureTrafficManagerOptions } from './vm/azure-provider-options.js';
export type { AdditionalPolicy, AzureClientOptions } from './vm/arm-clients.js';
export type { AzureVmWorkload } from './vm/cloud-init.js';
