import type { MeridianError, RegionRunState, RegionStatus } from '@meridian/core';

/** A region's state changed, as seen through its Deployment watch. */
export interface RegionStatusEvent {
  /** Region id. */
  regionId: string;
  /** The state before, undefined for the first report. */
  previous: RegionRunState | undefined;
  /** The status now. */
  status: RegionStatus;
}

/** A region's watch failed; it keeps reconnecting with backoff. */
export interface WatchErrorEvent {
  /** Region id. */
  regionId: string;
  /** What failed (REGION_UNAVAILABLE for an unreachable cluster). */
  error: MeridianError;
}

/** A region's Deployment watch is open (first time, or again after a drop). */
export interface WatchConnectedEvent {
  /** Region id. */
  regionId: string;
  /** The resourceVersion it resumed from. */
  resourceVersion: string;
}

/** Events of {@link KubernetesProvider}. */
export interface KubernetesProviderEvents {
  /** A Deployment watch opened (or reopened after a drop, a timeout or a re-list). */
  'watch:connected': WatchConnectedEvent;
  /** A region's state changed (a Deployment became available, failed, was deleted ...). */
  'region:status': RegionStatusEvent;
  /** A Deployment watch failed and is reconnecting. */
  'watch:error': WatchErrorEvent;
}
