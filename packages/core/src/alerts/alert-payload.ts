import type { Alert, AlertSeverity } from './alert-types.js';

/** The `generic` format: the alert as JSON, timestamp in ISO 8601. */
export function genericPayload(alert: Alert): Record<string, unknown> {
  return {
    type: alert.type,
    severity: alert.severity,
    region: alert.region ?? null,
    message: alert.message,
    details: alert.details,
    timestamp: new Date(alert.timestamp).toISOString(),
    key: alert.key,
  };
}

/** A Slack incoming-webhook message. */
export interface SlackMessage {
  /** The notification line (and the fallback where blocks are not shown). */
  text: string;
  /** Block Kit blocks: header, message, fields, context. */
  blocks: unknown[];
}

const ICON: Record<AlertSeverity, string> = { info: ':large_blue_circle:', warning: ':warning:', critical: ':red_circle:' };

/**
 * The `slack` format: an incoming-webhook message, `text` (the notification and
 * fallback line) plus Block Kit `blocks` (header, message, fields, context),
 * cut to Slack's limits (header 150, text 3000, field 2000 characters).
 */
export function slackPayload(alert: Alert): SlackMessage {
  const title = `${alert.type}${alert.region ? `: ${alert.region}` : ''}`;
  const text = `[${alert.severity.toUpperCase()}] ${title}: ${alert.message}`;
  const fields = [
    { type: 'mrkdwn', text: `*Severity*\n${alert.severity}` },
    { type: 'mrkdwn', text: `*Type*\n${escape(alert.type)}` },
    ...(alert.region ? [{ type: 'mrkdwn', text: `*Region*\n${escape(alert.region)}` }] : []),
    ...Object.entries(alert.details)
      .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
      .slice(0, 7)
      .map(([k, v]) => ({ type: 'mrkdwn', text: cut(`*${escape(k)}*\n${escape(String(v))}`, 2000) })),
  ];
  return {
    text: cut(escape(text), 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(`${ICON[alert.severity]} ${title}`, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(escape(alert.message), 3000) } },
      { type: 'section', fields },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Meridian · ${new Date(alert.timestamp).toISOString()}` }] },
    ],
  };
}

// Slack's mrkdwn control characters.
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
