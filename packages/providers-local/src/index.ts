// Public API of @meridian/providers-local.
export { LocalProvider, createLocalProvider } from './local-provider.js';
export type { LocalProviderEvents } from './local-provider.js';
export type { LocalProviderOptions, LocalRegionOptions } from './local-provider-options.js';
export type { LocalFault } from './fault.js';
