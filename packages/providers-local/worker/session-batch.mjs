// @ts-check
// `POST /session-batch/{suspend|activate|discard|restore}`: one request for many
// sessions of this region, each handled exactly as its own request would be
// (same checks, same fencing, same persistence), each answered on its own: one
// session refused (fenced, missing, not JSON) does not refuse the others.
//
// Body of suspend, activate and discard: `{"items":[{"id":"s1","epoch":3}, ...]}`
// (epoch for activate only, optional). Body of restore: that JSON on the first
// line with each item's `bytes`, then the items' state texts one after another,
// so no state is parsed as part of one large document (each is checked on its
// own, as a single restore's body is). Answer:
// `{"results":[{"key":"s1","status":200,"body":{...}}, ...]}`, in the order given.

/** @typedef {import('./session-api.mjs').SessionApi} SessionApi */
/** @typedef {{ id: string, epoch?: number, bytes?: number }} BatchItem */

const ACTIONS = new Set(['suspend', 'activate', 'discard', 'restore']);
/** Most sessions in one batch request. */
export const MAX_BATCH_ITEMS = 1024;

/** @param {number} status @param {string} message */
const httpError = (status, message) => Object.assign(new Error(message), { status });

/**
 * @param {SessionApi} sessions
 * @param {string} action
 * @param {Buffer} body
 * @param {RegExp} keyPattern
 * @returns {Promise<{ status: number, body: Record<string, unknown> }>}
 */
export async function handleSessionBatch(sessions, action, body, keyPattern) {
  if (!ACTIONS.has(action)) return { status: 404, body: { error: 'not found' } };
  const newline = action === 'restore' ? body.indexOf(0x0a) : body.length;
  if (newline < 0) throw httpError(400, 'a restore batch starts with its JSON header line');
  let header;
  try {
    header = JSON.parse(body.subarray(0, newline).toString('utf8'));
  } catch {
    throw httpError(400, 'batch header is not valid JSON');
  }
  const items = /** @type {BatchItem[]} */ (header?.items);
  if (!Array.isArray(items) || items.length > MAX_BATCH_ITEMS) throw httpError(400, `items must be an array of at most ${MAX_BATCH_ITEMS}`);
  for (const item of items) {
    if (typeof item?.id !== 'string' || !keyPattern.test(item.id)) throw httpError(400, 'every item needs an id matching [A-Za-z0-9._:-]{1,256}');
    if (item.epoch !== undefined && (!Number.isSafeInteger(item.epoch) || item.epoch < 0)) throw httpError(400, 'epoch must be an integer >= 0');
    if (action === 'restore' && (!Number.isSafeInteger(item.bytes) || /** @type {number} */ (item.bytes) < 0)) throw httpError(400, 'every restore item needs its bytes');
  }
  let at = newline + 1;
  const results = [];
  for (const item of items) {
    const query = new URLSearchParams();
    if (item.epoch !== undefined) query.set('epoch', String(item.epoch));
    let state = '';
    if (action === 'restore') {
      const end = at + /** @type {number} */ (item.bytes);
      if (end > body.length) throw httpError(400, 'restore batch is shorter than its items say');
      state = body.subarray(at, end).toString('utf8');
      at = end;
      query.set('status', 'suspended');
    }
    try {
      const reply =
        action === 'restore'
          ? await sessions.handle('PUT', item.id, undefined, query, async () => {
              try {
                JSON.parse(state);
              } catch {
                throw httpError(400, 'body is not valid JSON');
              }
              return state;
            })
          : action === 'discard'
            ? await sessions.handle('DELETE', item.id, undefined, query, async () => '')
            : await sessions.handle('POST', item.id, action, query, async () => '');
      results.push({ key: item.id, status: reply.status, ...(reply.body === undefined ? {} : { body: reply.body }) });
    } catch (error) {
      const status = /** @type {any} */ (error)?.status ?? 500;
      results.push({ key: item.id, status, body: { error: String(/** @type {Error} */ (error)?.message ?? error) } });
    }
  }
  if (at !== body.length && action === 'restore') throw httpError(400, 'restore batch is longer than its items say');
  return { status: 200, body: { results } };
}
