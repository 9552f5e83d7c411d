/** Who a migration snapshot belongs to: written in it, checked when it is restored. */
export interface SnapshotIdentity {
  sessionId: string;
  migrationId: string;
  from: string;
  to: string;
}

// The envelope's fields in the order `JSON.stringify({ sessionId, migrationId, from, to, state })` writes them, so
// an envelope built around state text is byte for byte the one the codec's `encode` writes for the parsed state,
// and `decode` (a recovery reading a kept snapshot) reads either.
function prefix(identity: SnapshotIdentity): string {
  const { sessionId, migrationId, from, to } = identity;
  return `{"sessionId":${JSON.stringify(sessionId)},"migrationId":${JSON.stringify(migrationId)},"from":${JSON.stringify(from)},"to":${JSON.stringify(to)},"state":`;
}

/** The JSON text of a migration snapshot around state that is already JSON text. */
export function envelopeJson(identity: SnapshotIdentity, stateJson: string): string {
  return `${prefix(identity)}${stateJson}}`;
}

/** The state text of an envelope written by {@link envelopeJson} for `identity`; undefined for another's. */
export function stateJsonOf(json: string, identity: SnapshotIdentity): string | undefined {
  const head = prefix(identity);
  return json.startsWith(head) && json.endsWith('}') ? json.slice(head.length, -1) : undefined;
}
