import type { ControlPlane } from './control-plane.js';

/** Every region's health as the monitor sees it (`meridian health`). */
export function healthView(plane: ControlPlane) {
  return {
    regions: plane.monitor.snapshot().map((h) => ({
      regionId: h.regionId,
      state: h.state,
      reason: h.reason,
      since: h.since,
      latencyMillis: h.latencyMillis === undefined ? undefined : Math.round(h.latencyMillis * 10) / 10,
      availability: h.availability,
      consecutiveFailures: h.consecutiveFailures,
      probes: h.probes,
      lastProbe: h.lastProbe ? { ok: h.lastProbe.ok, status: h.lastProbe.status, error: h.lastProbe.error, latencyMillis: h.lastProbe.latencyMillis, at: h.lastProbe.at } : undefined,
    })),
  };
}

/** The JSON `GET /v1/health` answers. */
export type HealthView = ReturnType<typeof healthView>;
