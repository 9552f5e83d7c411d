// Migration snapshot keys carry their creation time, so a sweep can age them from a
// listing alone and a recovery can date a kept snapshot without decoding it.
const SNAPSHOT_KEY = /^mig\.(\d+)\./;

/** @internal The store key of one migration attempt's snapshot. */
export function snapshotKey(sessionId: string, migrationId: string, attempt: number, createdAt: number): string {
  return `mig.${Math.max(0, Math.floor(createdAt))}.${sessionId}.${migrationId}.${attempt}`;
}

/** @internal When a migration snapshot key says it was written, or undefined for another kind of key. */
export function snapshotCreatedAt(key: string): number | undefined {
  const match = SNAPSHOT_KEY.exec(key);
  return match ? Number(match[1]) : undefined;
}
