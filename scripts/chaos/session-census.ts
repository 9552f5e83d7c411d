/**
 * Sessions placed or counted at once: enough to place a thousand in seconds,
 * few enough that a region under a fault's load still answers each well within
 * the per-request timeouts below (a census request that times out would count
 * its session as not there).
 */
const PARALLEL = 16;

/** Runs `work` on every item, at most `limit` at a time, in order of start. */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A session placed at the start of a scenario, with the state it must keep. */
export interface PlacedSession {
  id: string;
  region: string;
  state: unknown;
}

/** Creates a live session in a region through the region's own session API. */
export async function createSession(endpoint: string, session: PlacedSession): Promise<void> {
  const res = await fetch(`${endpoint}/sessions/${encodeURIComponent(session.id)}`, { method: 'PUT', body: JSON.stringify(session.state), signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`creating session ${session.id} in ${session.region}: status ${res.status}`);
}

/** Creates every session in its region, {@link PARALLEL} at a time. */
export async function placeSessions(endpoints: Record<string, string>, sessions: readonly PlacedSession[]): Promise<void> {
  await eachBounded(sessions, PARALLEL, (s) => createSession(endpoints[s.region]!, s));
}

/** Where a session is active, as the regions themselves say; a region that does not answer holds nothing servable. */
export async function whereActive(endpoints: Record<string, string>, sessionId: string): Promise<{ active: string[]; states: unknown[] }> {
  const found = await Promise.all(
    Object.entries(endpoints).map(async ([region, endpoint]) => {
      try {
        const res = await fetch(`${endpoint}/sessions/${encodeURIComponent(sessionId)}`, { signal: AbortSignal.timeout(1_000) });
        if (res.status !== 200) {
          await res.arrayBuffer();
          return undefined;
        }
        const body = (await res.json()) as { status: string; state: unknown };
        return body.status === 'active' ? { region, state: body.state } : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  const active = found.filter((f) => f !== undefined);
  return { active: active.map((a) => a.region), states: active.map((a) => a.state) };
}

/**
 * Counts sessions not active in exactly one region with their state intact,
 * asking every region about each session ({@link PARALLEL} sessions at a time).
 * Returns the lost count and a line per lost session.
 */
export async function countLostSessions(endpoints: Record<string, string>, sessions: PlacedSession[]): Promise<{ lost: number; details: string[] }> {
  const details: string[] = [];
  await eachBounded(sessions, PARALLEL, async (session) => {
    const where = await whereActive(endpoints, session.id);
    if (where.active.length !== 1) details.push(`session ${session.id}: active in [${where.active.join(', ')}]`);
    else if (JSON.stringify(where.states[0]) !== JSON.stringify(session.state)) details.push(`session ${session.id}: state changed in ${where.active[0]}`);
  });
  return { lost: details.length, details };
}
