// @ts-check
// The region's /sessions API: the copies of sessions this region holds, each
// `active` (served) or `suspended` (held, not served), under a fencing epoch.
// With a data directory every copy is also kept on disk, one file per session,
// and a restarted region loads them back suspended: it may not serve them until
// the control plane activates them again, because meanwhile they may have been
// recovered in another region.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {{
 *   json: string,
 *   status: 'active' | 'suspended',
 *   epoch: number,
 *   version: number,
 *   updatedAt: number,
 *   fenced?: 'restarted',
 * }} Session
 */
// A session's state is kept as the JSON text it arrived as: served back without serialising it again, and a
// region holding many large sessions keeps a few strings per session instead of their object graphs for its
// garbage collector to walk.
/** @typedef {{ status: number, body?: Record<string, unknown>, json?: string }} Reply */

// Versions reserved on disk at a time: one small write per this many writes keeps
// the counter monotonic across restarts (see VersionCounter).
const VERSION_BLOCK = 1024;
// Epochs travel in a query string; 15 digits stay exact in a double.
const EPOCH = /^\d{1,15}$/;

/** @param {number} status @param {string} message */
const httpError = (status, message) => Object.assign(new Error(message), { status });

/**
 * Writes a file so that a reader (or a process started after a SIGKILL) sees
 * either the old content or the new, never a torn mix: the content goes to a
 * temporary file that is then renamed over the target (atomic on POSIX).
 * Synchronous on purpose: the worker is single-threaded, so writes reach the
 * disk in the order they were made, and a write is acknowledged only once it
 * is there. No fsync: this survives a killed process, not a machine crash.
 * @param {string} file @param {string} text
 */
function writeAtomic(file, text) {
  const temp = `${file}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/**
 * The region-wide write counter (kv and sessions). `SessionAdapter.version`
 * promises a value never repeats for another state, so with a data directory it
 * must not go back when the region restarts, not even below versions of
 * sessions deleted since (which the session files no longer show): the counter
 * reserves blocks of versions in `version.json` before using them and starts a
 * restarted region above the last reservation.
 */
export class VersionCounter {
  /** @type {string | undefined} */ #file;
  #value = 0;
  #reserved = 0;

  /** @param {string | undefined} file @param {(message: string) => void} log */
  constructor(file, log) {
    this.#file = file;
    if (!file) return;
    try {
      const reserved = JSON.parse(readFileSync(file, 'utf8')).reservedThrough;
      if (!Number.isSafeInteger(reserved) || reserved < 0) throw new Error(`reservedThrough is ${reserved}`);
      this.#value = this.#reserved = reserved;
    } catch (error) {
      // Missing: a first start. Unreadable: the loaded sessions' versions still floor the counter (atLeast).
      if (/** @type {any} */ (error)?.code !== 'ENOENT') log(`ignoring unreadable ${file}: ${/** @type {Error} */ (error).message}`);
    }
  }

  /** The next version; with a file, reserves a new block first when this one is used up. */
  next() {
    const version = this.#value + 1;
    if (this.#file && version > this.#reserved) {
      writeAtomic(this.#file, JSON.stringify({ reservedThrough: version + VERSION_BLOCK }));
      this.#reserved = version + VERSION_BLOCK;
    }
    this.#value = version;
    return version;
  }

  /** Never hands out `version` or anything below it again. */
  atLeast(/** @type {number} */ version) {
    if (version > this.#value) this.#value = version;
  }
}

/**
 * Session copies in memory and, with `dir`, on disk.
 */
export class SessionApi {
  /** @type {Map<string, Session>} */ #sessions = new Map();
  /** @type {string | undefined} */ #dir;
  #counter;
  #incarnation;
  #log;

  /**
   * @param {{ dir: string | undefined, counter: VersionCounter, incarnation: string, log: (message: string) => void }} options
   */
  constructor({ dir, counter, incarnation, log }) {
    this.#dir = dir;
    this.#counter = counter;
    this.#incarnation = incarnation;
    this.#log = log;
    if (dir) this.#load(dir);
  }

  /**
   * Answers one request under /sessions (the key already checked by the caller).
   * @param {string} method
   * @param {string | undefined} id
   * @param {string | undefined} action
   * @param {URLSearchParams} query
   * @param {() => Promise<string>} readBody the body's JSON text, checked to be JSON
   * @returns {Promise<Reply>}
   */
  async handle(method, id, action, query, readBody) {
    if (id === undefined) {
      if (action !== undefined) return { status: 404, body: { error: 'not found' } };
      if (method !== 'GET') return { status: 405, body: { error: 'method not allowed' } };
      return { status: 200, body: { items: [...this.#sessions].map(([key, session]) => view(key, session)) } };
    }
    if (action === undefined) {
      if (method === 'GET') {
        // Any status: a suspended copy is held, and the control plane may read it.
        const session = this.#sessions.get(id);
        return session ? { status: 200, body: view(id, session) } : notFound(id);
      }
      if (method === 'PUT') return this.#put(id, query, await readBody());
      if (method === 'DELETE') return this.#delete(id);
      return { status: 405, body: { error: 'method not allowed' } };
    }
    if (action === 'activate' || action === 'suspend') {
      if (method !== 'POST') return { status: 405, body: { error: 'method not allowed' } };
      return action === 'activate' ? this.#activate(id, parseEpoch(query)) : this.#suspend(id);
    }
    // The state alone, as JSON (SessionAdapter.snapshotJson): a migration passes it on without parsing it.
    if (action === 'state') {
      if (method !== 'GET') return { status: 405, body: { error: 'method not allowed' } };
      const session = this.#sessions.get(id);
      return session ? { status: 200, json: session.json } : notFound(id);
    }
    // The version of a session's state without its state (SessionAdapter.version): a checkpointer's cheap "changed?".
    if (action === 'version') {
      if (method !== 'GET') return { status: 405, body: { error: 'method not allowed' } };
      const session = this.#sessions.get(id);
      if (!session) return notFound(id);
      return { status: 200, body: { key: id, version: session.version, incarnation: this.#incarnation, updatedAt: session.updatedAt } };
    }
    return { status: 404, body: { error: 'not found' } };
  }

  /**
   * `PUT /sessions/:id?status=suspended[&epoch=N]` is a restore: the copy is
   * replaced and waits suspended, unless the region holds one under a higher
   * epoch. A plain `PUT` is a client's write: it creates a missing session
   * active, updates an active one, and is refused for a suspended one, so no
   * client can revive a copy the control plane suspended or fenced.
   * @param {string} id @param {URLSearchParams} query @param {string} json
   * @returns {Reply}
   */
  #put(id, query, json) {
    const status = query.get('status');
    if (status !== null && status !== 'suspended' && status !== 'active') throw httpError(400, 'status must be "suspended" or "active"');
    const epoch = parseEpoch(query);
    const current = this.#sessions.get(id);
    if (status === 'suspended') {
      if (epoch !== undefined && current && current.epoch > epoch) return fenced(id, epoch, current.epoch);
      // Without an epoch (callers from before fencing) the copy keeps the one it had.
      const written = this.#write(id, { json, status: 'suspended', epoch: epoch ?? current?.epoch ?? 0 });
      return { status: 200, body: { key: id, version: written.version, status: written.status, epoch: written.epoch } };
    }
    if (epoch !== undefined) throw httpError(400, 'epoch is taken by a restore (status=suspended) or an activate only');
    if (current?.status === 'suspended') {
      return {
        status: 409,
        body: { code: 'SESSION_SUSPENDED', error: `session "${id}" is suspended in this region; only an activation serves it again`, key: id, epoch: current.epoch },
      };
    }
    const written = this.#write(id, { json, status: 'active', epoch: current?.epoch ?? 0 });
    return { status: 200, body: { key: id, version: written.version, status: written.status, epoch: written.epoch } };
  }

  /** @param {string} id @param {number | undefined} epoch @returns {Reply} */
  #activate(id, epoch) {
    const session = this.#sessions.get(id);
    if (!session) return notFound(id);
    if (epoch !== undefined && epoch < session.epoch) return fenced(id, epoch, session.epoch);
    // Activation clears `fenced`: the control plane, which knows where the session lives, chose this copy.
    const { fenced: _fenced, ...rest } = session;
    const next = this.#keep(id, { ...rest, status: 'active', epoch: epoch ?? session.epoch, updatedAt: Date.now() });
    return { status: 200, body: { key: id, status: next.status, epoch: next.epoch } };
  }

  /** @param {string} id @returns {Reply} */
  #suspend(id) {
    const session = this.#sessions.get(id);
    if (!session) return notFound(id);
    const next = this.#keep(id, { ...session, status: 'suspended', updatedAt: Date.now() });
    return { status: 200, body: { key: id, status: next.status, epoch: next.epoch } };
  }

  /** @param {string} id @returns {Reply} */
  #delete(id) {
    if (!this.#sessions.has(id)) return notFound(id);
    // File first: if removing it fails, the session stays held in memory too (the answer is a 500).
    if (this.#dir) rmSync(join(this.#dir, fileOf(id)), { force: true });
    this.#sessions.delete(id);
    return { status: 204 };
  }

  /**
   * A change of the state: takes the next region-wide version.
   * @param {string} id @param {Pick<Session, 'json' | 'status' | 'epoch'>} fields
   */
  #write(id, fields) {
    return this.#keep(id, { ...fields, version: this.#counter.next(), updatedAt: Date.now() });
  }

  /**
   * Stores a copy on disk (when persistent), then in memory: a write is answered
   * only once the file holds it, and a failed file write changes nothing held.
   * @param {string} id @param {Session} session
   */
  #keep(id, session) {
    if (this.#dir) {
      const { json, status, epoch, version, updatedAt } = session;
      // The file's record is { id, state, status, epoch, version, updatedAt }, the state spliced in as it is held.
      writeAtomic(join(this.#dir, fileOf(id)), `{"id":${JSON.stringify(id)},"state":${json},${JSON.stringify({ status, epoch, version, updatedAt }).slice(1)}`);
    }
    this.#sessions.set(id, session);
    return session;
  }

  /** Loads every session file back, suspended and fenced; skips (and says so on stderr) files it cannot read. @param {string} dir */
  #load(dir) {
    mkdirSync(dir, { recursive: true });
    let highest = 0;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      // A temporary file is a write a kill cut short: its rename never happened, so it was never acknowledged.
      if (name.endsWith('.tmp')) {
        rmSync(file, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let record;
      try {
        record = checkRecord(JSON.parse(readFileSync(file, 'utf8')), name);
      } catch (error) {
        this.#log(`skipping session file ${file}: ${/** @type {Error} */ (error).message}`);
        continue;
      }
      const { id, state, epoch, version, updatedAt } = record;
      this.#sessions.set(id, { json: JSON.stringify(state), status: 'suspended', epoch, version, updatedAt, fenced: 'restarted' });
      highest = Math.max(highest, version);
    }
    this.#counter.atLeast(highest);
  }
}

/**
 * Session files are named by a hash of the id: ids may be longer than a file
 * name may be (256 characters plus a suffix) and may differ only in case,
 * which some file systems do not tell apart.
 * @param {string} id
 */
function fileOf(id) {
  return `${createHash('sha256').update(id).digest('hex')}.json`;
}

/**
 * @param {any} record @param {string} name
 * @returns {{ id: string, state: unknown, epoch: number, version: number, updatedAt: number }}
 */
function checkRecord(record, name) {
  if (typeof record !== 'object' || record === null || !('state' in record)) throw new Error('not a session record');
  if (typeof record.id !== 'string' || fileOf(record.id) !== name) throw new Error('its id does not match its file name');
  if (record.status !== 'active' && record.status !== 'suspended') throw new Error(`status is ${JSON.stringify(record.status)}`);
  for (const field of ['epoch', 'version', 'updatedAt']) {
    if (!Number.isSafeInteger(record[field]) || record[field] < 0) throw new Error(`${field} is ${JSON.stringify(record[field])}`);
  }
  return record;
}

/** @param {URLSearchParams} query @returns {number | undefined} */
function parseEpoch(query) {
  const raw = query.get('epoch');
  if (raw === null) return undefined;
  if (!EPOCH.test(raw)) throw httpError(400, 'epoch must be an integer >= 0');
  return Number(raw);
}

/**
 * A session as the API shows it: its state parsed back from the text held (only for these reads, not for a
 * migration's, which takes the text as it is).
 * @param {string} key @param {Session} session
 */
function view(key, session) {
  const { json, ...rest } = session;
  return { key, state: JSON.parse(json), ...rest };
}

/** @param {string} id @returns {Reply} */
function notFound(id) {
  return { status: 404, body: { error: `no session "${id}"` } };
}

/** @param {string} id @param {number} epoch @param {number} currentEpoch @returns {Reply} */
function fenced(id, epoch, currentEpoch) {
  return {
    status: 409,
    body: { code: 'SESSION_FENCED', error: `session "${id}" is held here under epoch ${currentEpoch}; epoch ${epoch} is stale`, key: id, epoch, currentEpoch },
  };
}
