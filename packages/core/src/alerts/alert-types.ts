/** How bad an alert is. Webhooks can ignore alerts below a `minSeverity`. */
export type AlertSeverity = 'info' | 'warning' | 'critical';

/**
 * What an alert is about. The notifier raises the named ones from engines'
 * events; `notify()` accepts any other string for a host's own alerts.
 */
export type AlertType =
  | 'region-unhealthy'
  | 'region-degraded'
  | 'region-recovered'
  | 'failover-started'
  | 'failover-completed'
  | 'failover-failed'
  | 'no-healthy-region'
  | 'migration-failed'
  | 'sync-lag'
  | 'sync-recovered'
  | (string & {});

/** An alert as given to `notify()`. */
export interface AlertInput {
  /** What it is about. */
  type: AlertType;
  /** How bad. */
  severity: AlertSeverity;
  /** The region concerned, if one is. */
  region?: string;
  /** One line a person can act on (never secrets). */
  message: string;
  /** Structured facts (ids, durations, steps), JSON-serializable and secret-free. */
  details?: Record<string, unknown>;
  /** Deduplication key: the same key within `dedupeWindowMillis` is sent once. Default `type:region:message`. */
  key?: string;
}

/** An alert as sent: input plus its key and time. */
export interface Alert extends Required<Omit<AlertInput, 'region'>> {
  /** The region concerned, if one is. */
  region: string | undefined;
  /** When it was raised, epoch ms (the notifier's clock). */
  timestamp: number;
}

/** Payload of `alert:sent`. */
export interface AlertSentEvent {
  /** The alert. */
  alert: Alert;
  /** The webhook's name (never its URL). */
  webhook: string;
  /** Attempts it took (1 = first try). */
  attempts: number;
  /** HTTP status of the accepted answer. */
  status: number;
}

/** Payload of `alert:failed`: every attempt failed, or the webhook refused it for good (4xx). */
export interface AlertFailedEvent {
  /** The alert. */
  alert: Alert;
  /** The webhook's name (never its URL). */
  webhook: string;
  /** Attempts made. */
  attempts: number;
  /** Why, with the URL redacted. */
  error: AlertError;
}

/** Why a webhook did not accept an alert (never contains its URL). */
export interface AlertError {
  /** `WEBHOOK_FAILED`, `TIMEOUT` or `SHUT_DOWN`. */
  code: string;
  /** What happened, naming the webhook. */
  message: string;
  /** The last HTTP status, when an answer came. */
  status?: number;
}

/** Why an alert was not sent. */
export type AlertDropReason = 'duplicate' | 'below-min-severity' | 'queue-full' | 'shutdown';

/** Payload of `alert:dropped`. */
export interface AlertDroppedEvent {
  /** The alert. */
  alert: Alert;
  /** The webhook it was dropped for; undefined when dropped before any (a duplicate, or after shutdown). */
  webhook: string | undefined;
  /** Why. */
  reason: AlertDropReason;
}

/** Events of a {@link WebhookNotifier}. */
export interface AlertEvents {
  /** A webhook accepted an alert (2xx). */
  'alert:sent': AlertSentEvent;
  /** A webhook did not accept an alert after retries (or refused it with a 4xx). */
  'alert:failed': AlertFailedEvent;
  /** An alert was not sent: duplicate, filtered, queue full, or shutdown. */
  'alert:dropped': AlertDroppedEvent;
}
