import { WebhookNotifier } from '@meridian/core';
import { ALERT_EVENTS } from '../config/alerts-schema.js';
import type { MeridianConfig } from '../config/config-schema.js';
import type { ControlPlane } from './control-plane.js';
import type { Log } from './logger.js';

/**
 * Alert webhooks from `alerts:` in the config: core's WebhookNotifier watching
 * the agent's engines (health, failovers, sync lag, failed migrations) plus
 * lost sessions. Each webhook gets only the events it lists. Sending runs in
 * the notifier's own lanes with a timeout and bounded retries, so a slow or
 * dead webhook never holds an engine up; outcomes go to the agent's log
 * (never the URL: it may hold a secret).
 */
export function startAlerts(alerts: NonNullable<MeridianConfig['alerts']>, plane: ControlPlane, log: Log): { close(): Promise<void> } {
  const notifier = new WebhookNotifier({
    webhooks: alerts.webhooks.map((w, index) => ({
      url: w.url,
      name: w.name ?? `alerts.webhooks[${index}]`,
      format: w.format,
      ...(w.events ? { types: [...new Set(w.events.flatMap((e) => ALERT_EVENTS[e]))] } : {}),
    })),
    timeoutMillis: alerts.timeoutMillis,
    retry: { maxAttempts: alerts.maxAttempts, initialDelayMillis: alerts.retryDelayMillis },
    dedupeWindowMillis: alerts.dedupeWindowMillis,
  });
  notifier.watch({ monitor: plane.monitor, failover: plane.failover, ...(plane.migrator ? { migrator: plane.migrator } : {}), ...(plane.sync ? { sync: plane.sync } : {}) });
  // Not one of core's engine alerts: a session whose region died before it could be moved or restored.
  const lost = plane.migrator?.on('session:lost', (e) =>
    notifier.notify({
      type: 'session-lost',
      severity: 'critical',
      region: e.region,
      message: `session ${e.sessionId} was lost with ${e.region} (${e.reason})`,
      details: { sessionId: e.sessionId, reason: e.reason, ...(e.migrationId ? { migrationId: e.migrationId } : {}) },
    }),
  );
  notifier.on('alert:sent', (e) => log(`alerts: ${e.alert.type} sent to ${e.webhook} (${e.attempts} attempt(s))`));
  notifier.on('alert:failed', (e) => log(`alerts: ${e.alert.type} to ${e.webhook} failed after ${e.attempts} attempt(s): ${e.error.message}`));
  notifier.on('alert:dropped', (e) => {
    if (e.reason !== 'duplicate') log(`alerts: ${e.alert.type} dropped for ${e.webhook ?? 'every webhook'}: ${e.reason}`);
  });
  log(`alerts: ${notifier.webhooks.length} webhook(s): ${notifier.webhooks.join(', ')}`);
  return {
    close: async () => {
      lost?.dispose();
      await notifier.close({ timeoutMillis: 2_000 });
    },
  };
}
