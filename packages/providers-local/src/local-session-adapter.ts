import { MeridianError, type AdapterCallOptions, type HeldSession, type SessionAdapter, type SessionBatchOutcome, type SessionRef } from '@meridian/core';
import { request } from 'undici';
import type { LocalProvider } from './local-provider.js';

/**
 * Sessions held by local region processes (their `/sessions` API), for demos and
 * tests of the migration protocol over real sockets. A region that does not
 * answer is REGION_UNAVAILABLE; a session a region does not hold is SESSION_NOT_FOUND.
 * `version` reads the session's change counter (every write increments it) without its state.
 * `restore` and `activate` pass their fencing epoch to the region, which refuses one
 * lower than its copy's with SESSION_FENCED; `list` reports every copy a region holds.
 * `snapshotJson` and `restoreJson` carry the state as the JSON text the region sends
 * and receives, so a migration never parses it (they are not enumerable: a copy made
 * with spread to wrap `snapshot` or `restore` uses the wrapped calls). `suspendMany`,
 * `restoreJsonMany`, `activateMany` and `discardMany` do the same for many sessions of
 * one region in one request (`POST /session-batch/...`), each session answered, fenced
 * and refused on its own.
 */
export function createLocalSessionAdapter(provider: LocalProvider): SessionAdapter {
  const call = async (region: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, options: AdapterCallOptions, json?: string) => {
    const endpoint = provider.regions().find((r) => r.id === region)?.endpoint;
    if (!endpoint) throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" is not deployed`, { details: { regionId: region } });
    try {
      const res = await request(`${endpoint}${path}`, {
        method,
        signal: options.signal,
        ...(json === undefined ? {} : { body: json, headers: { 'content-type': 'application/json' } }),
      });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (error) {
      if (options.signal.aborted) throw error;
      throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" did not answer ${method} ${path}: ${(error as { code?: string }).code ?? (error as Error).message}`, {
        cause: error,
        details: { regionId: region },
      });
    }
  };
  // Answers are parsed only when they are read: a state taken as text stays text.
  const parse = (text: string, region: string): Record<string, unknown> => {
    try {
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch (error) {
      throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" answered something that is not JSON`, { cause: error, details: { regionId: region } });
    }
  };
  const expectText = (result: { status: number; text: string }, session: SessionRef, region: string, what: string): string => {
    if (result.status < 300) return result.text;
    const json = parse(result.text, region);
    if (result.status === 409 && json.code === 'SESSION_FENCED') {
      const { epoch, currentEpoch } = json;
      throw new MeridianError('SESSION_FENCED', `region "${region}" refused ${what} of session "${session.id}": ${String(json.error ?? 'a stale epoch')}`, {
        details: {
          sessionId: session.id,
          regionId: region,
          ...(typeof epoch === 'number' ? { epoch } : {}),
          ...(typeof currentEpoch === 'number' ? { currentEpoch } : {}),
        },
      });
    }
    // A write the region refuses because its copy is suspended: the session may serve only after an activation.
    if (result.status === 409 && json.code === 'SESSION_SUSPENDED') {
      throw new MeridianError('PRECONDITION_FAILED', `region "${region}" refused ${what} of session "${session.id}": it is suspended there`, {
        details: { key: session.id, regionId: region },
      });
    }
    if (result.status === 404) throw new MeridianError('SESSION_NOT_FOUND', `session "${session.id}" is not in region "${region}" (${what})`, { details: { sessionId: session.id, regionId: region } });
    throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" answered ${result.status} to ${what} of session "${session.id}"`, { details: { regionId: region } });
  };
  const expectOk = (result: { status: number; text: string }, session: SessionRef, region: string, what: string) => parse(expectText(result, session, region, what), region);
  const path = (session: SessionRef) => `/sessions/${encodeURIComponent(session.id)}`;
  // The epoch goes in the query; a malformed one is the caller's mistake, caught before anything is sent.
  const epochQuery = (epoch: number | undefined): string => {
    if (epoch === undefined) return '';
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new MeridianError('INVALID_ARGUMENT', `epoch must be an integer >= 0, got ${epoch}`, { details: { field: 'epoch' } });
    }
    return `epoch=${epoch}`;
  };
  const adapter: SessionAdapter = {
    async snapshot(session, options) {
      return expectOk(await call(session.region, 'GET', path(session), options), session, session.region, 'snapshot').state;
    },
    async suspend(session, region, options) {
      expectOk(await call(region, 'POST', `${path(session)}/suspend`, options), session, region, 'suspend');
    },
    async restore(session, region, state, options) {
      const epoch = epochQuery(options.epoch);
      expectOk(await call(region, 'PUT', `${path(session)}?status=suspended${epoch ? `&${epoch}` : ''}`, options, JSON.stringify(state)), session, region, 'restore');
    },
    async activate(session, region, options) {
      const epoch = epochQuery(options.epoch);
      expectOk(await call(region, 'POST', `${path(session)}/activate${epoch ? `?${epoch}` : ''}`, options), session, region, 'activate');
    },
    async discard(session, region, options) {
      const result = await call(region, 'DELETE', path(session), options);
      if (result.status !== 404) expectOk(result, session, region, 'discard');
    },
    async version(session, options) {
      const json = expectOk(await call(session.region, 'GET', `${path(session)}/version`, options), session, session.region, 'version');
      // The region's start time keeps a restarted region (whose counter starts again at 1) from repeating a version.
      return `${String(json.incarnation)}:${String(json.version)}`;
    },
    async list(region, options) {
      const result = await call(region, 'GET', '/sessions', options);
      const items = parse(result.text, region).items;
      if (result.status !== 200 || !Array.isArray(items)) {
        throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" answered ${result.status} to the list of its sessions`, { details: { regionId: region } });
      }
      return items.map((item: Record<string, unknown>): HeldSession => ({
        id: String(item.key),
        // Anything but an explicit 'active' is held, not served.
        status: item.status === 'active' ? 'active' : 'suspended',
        ...(typeof item.epoch === 'number' ? { epoch: item.epoch } : {}),
      }));
    },
  };
  // Not enumerable: an adapter copied with `{ ...adapter, restore: hook }` to wrap snapshot or restore leaves them
  // behind, so the migration falls back to the wrapped calls instead of going around them.
  const restoreAsText: NonNullable<SessionAdapter['restoreJson']> = async (session, region, json, options) => {
    const epoch = epochQuery(options.epoch);
    expectOk(await call(region, 'PUT', `${path(session)}?status=suspended${epoch ? `&${epoch}` : ''}`, options, json), session, region, 'restore');
  };
  const snapshotAsText: NonNullable<SessionAdapter['snapshotJson']> = async (session, options) =>
    expectText(await call(session.region, 'GET', `${path(session)}/state`, options), session, session.region, 'snapshot');
  // One request for many sessions; each answer is read as the single call's would be, into that session's outcome.
  const batch = async (
    region: string,
    action: 'suspend' | 'activate' | 'discard' | 'restore',
    sessions: SessionRef[],
    options: AdapterCallOptions,
    body: string,
  ): Promise<SessionBatchOutcome[]> => {
    const result = await call(region, 'POST', `/session-batch/${action}`, options, body);
    const results = result.status === 200 ? parse(result.text, region).results : undefined;
    if (!Array.isArray(results) || results.length !== sessions.length) {
      throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" answered ${result.status} to a batch ${action} of ${sessions.length} session(s)`, { details: { regionId: region } });
    }
    return sessions.map((session, i): SessionBatchOutcome => {
      const one = results[i] as { key?: unknown; status?: unknown; body?: unknown };
      try {
        if (one?.key !== session.id || typeof one.status !== 'number') throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" answered a batch ${action} out of order`, { details: { regionId: region } });
        if (!(action === 'discard' && one.status === 404)) expectOk({ status: one.status, text: one.body === undefined ? '' : JSON.stringify(one.body) }, session, region, action);
        return { sessionId: session.id };
      } catch (error) {
        return { sessionId: session.id, error: error as Error };
      }
    });
  };
  const items = (list: Array<{ session: SessionRef; epoch?: number | undefined }>) =>
    JSON.stringify({
      items: list.map(({ session, epoch }) => {
        epochQuery(epoch);
        return epoch === undefined ? { id: session.id } : { id: session.id, epoch };
      }),
    });
  const batchCalls: Required<Pick<SessionAdapter, 'suspendMany' | 'restoreJsonMany' | 'activateMany' | 'discardMany'>> = {
    suspendMany: async (sessions, region, options) => batch(region, 'suspend', sessions, options, items(sessions.map((session) => ({ session })))),
    activateMany: async (list, region, options) => batch(region, 'activate', list.map((i) => i.session), options, items(list)),
    discardMany: async (sessions, region, options) => batch(region, 'discard', sessions, options, items(sessions.map((session) => ({ session })))),
    restoreJsonMany: async (list, region, options) => {
      for (const { epoch } of list) epochQuery(epoch);
      // The header line names each state's length; the states follow as they are, never wrapped in one document.
      const header = JSON.stringify({
        items: list.map(({ session, epoch, json }) => ({ id: session.id, ...(epoch === undefined ? {} : { epoch }), bytes: Buffer.byteLength(json) })),
      });
      return batch(region, 'restore', list.map((i) => i.session), options, `${header}\n${list.map((i) => i.json).join('')}`);
    },
  };
  return Object.defineProperties(adapter, {
    snapshotJson: { value: snapshotAsText, enumerable: false },
    restoreJson: { value: restoreAsText, enumerable: false },
    // Not enumerable either: a copy that wraps `suspend`, `activate` or `discard` must not be gone around by a batch.
    ...Object.fromEntries(Object.entries(batchCalls).map(([name, value]) => [name, { value, enumerable: false }])),
  });
}
