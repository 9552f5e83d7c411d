// Public API of @meridian/dispatcher.
export { RegionDispatcher, createRegionDispatcher } from './region-dispatcher.js';
export type { RegionDispatcherOptions } from './region-dispatcher.js';
