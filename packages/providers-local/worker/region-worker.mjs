// @ts-check
// One local region: a real HTTP server on loopback, run as a child process by
// @meridian/providers-local. Plain JavaScript so it runs from src/ (tests) and
// dist/ (published) alike without a build step. Controlled over the IPC channel.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createReplicaApi } from './replica-api.mjs';
import { SessionApi, VersionCounter } from './session-api.mjs';
import { handleSessionBatch } from './session-batch.mjs';

const regionId = process.env.MERIDIAN_REGION_ID ?? 'local';
const host = process.env.MERIDIAN_HOST ?? '127.0.0.1';
const port = Number(process.env.MERIDIAN_PORT ?? '0');
const maxBodyBytes = 1024 * 1024;
// A batch carries up to MAX_BATCH_ITEMS bodies; each item is still held to maxBodyBytes by the client's batching.
const maxBatchBodyBytes = 64 * 1024 * 1024;
const startedAt = Date.now();
// Changes with every start, so a version read from a restarted region never equals one read before.
const incarnation = `${startedAt}-${process.pid}`;
// Opt-in persistence of sessions (LocalProviderOptions.dataDir); empty or unset: memory only.
const dataDir = process.env.MERIDIAN_DATA_DIR || undefined;
const regionDir = dataDir ? join(dataDir, regionId) : undefined;
const log = (/** @type {string} */ message) => process.stderr.write(`region ${regionId}: ${message}\n`);

/** @type {{ kind: 'none' } | { kind: 'hang' } | { kind: 'slow', ms: number } | { kind: 'fail', fraction: number }} */
let fault = { kind: 'none' };

// Seeded PRNG (mulberry32) so failRate runs are reproducible.
let seed = Number(process.env.MERIDIAN_SEED ?? '1') >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** @type {Map<string, { value: unknown, version: number, updatedAt: number }>} */
const kv = new Map();
// Every write (kv and sessions) takes the next value of this region-wide counter: a session's version grows on each
// of its writes and is never reused for another state, even after the session is discarded and restored.
const versions = new VersionCounter(regionDir && join(regionDir, 'version.json'), log);
const sessions = new SessionApi({ dir: regionDir && join(regionDir, 'sessions'), counter: versions, incarnation, log });
// Replicated records (the ReplicaStore of this region): see replica-api.mjs.
const replica = createReplicaApi();

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} [body]
 */
function send(res, status, body) {
  if (body === undefined) {
    res.writeHead(status, { 'x-meridian-region': regionId });
    res.end();
    return;
  }
  sendJsonText(res, status, JSON.stringify(body));
}

/**
 * Sends JSON that is already text, as it is.
 * @param {import('node:http').ServerResponse} res @param {number} status @param {string} text
 */
function sendJsonText(res, status, text) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-meridian-region': regionId,
  });
  res.end(text);
}

/**
 * The body's bytes: 413 past `limit`.
 * @param {import('node:http').IncomingMessage} req @param {number} limit @returns {Promise<Buffer>}
 */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(Object.assign(new Error(`body larger than ${limit} bytes`), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The body as text and parsed: refused with 400 unless it is JSON, 413 past maxBodyBytes.
 * @param {import('node:http').IncomingMessage} req @returns {Promise<{ text: string, value: unknown }>}
 */
async function readJson(req) {
  const text = (await readBody(req, maxBodyBytes)).toString('utf8');
  try {
    return { text, value: JSON.parse(text) };
  } catch {
    throw Object.assign(new Error('body is not valid JSON'), { status: 400 });
  }
}

const KEY = /^[A-Za-z0-9._:-]{1,256}$/;

const BAD_KEY = 'key must match [A-Za-z0-9._:-]{1,256}';

/**
 * The key/value collection (memory only): GET list, GET/PUT/DELETE one item.
 * @param {string | undefined} key
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
async function keyValues(key, req, res) {
  if (key === undefined) {
    if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' });
    return send(res, 200, { items: [...kv.entries()].map(([k, v]) => ({ key: k, ...v })) });
  }
  if (!KEY.test(key)) return send(res, 400, { error: BAD_KEY });
  if (req.method === 'GET') {
    const item = kv.get(key);
    return item ? send(res, 200, { key, ...item }) : send(res, 404, { error: `no value "${key}"` });
  }
  if (req.method === 'PUT') {
    const { value } = await readJson(req);
    const version = versions.next();
    kv.set(key, { value, version, updatedAt: Date.now() });
    return send(res, 200, { key, version });
  }
  if (req.method === 'DELETE') {
    return kv.delete(key) ? send(res, 204) : send(res, 404, { error: `no value "${key}"` });
  }
  return send(res, 405, { error: 'method not allowed' });
}

/** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://region.invalid');
  const [, first, second, ...rest] = url.pathname.split('/');
  if (first === 'sessions' && rest.length <= 1) {
    const id = second === undefined || second === '' ? undefined : decodeURIComponent(second);
    if (id !== undefined && !KEY.test(id)) return send(res, 400, { error: BAD_KEY });
    const reply = await sessions.handle(req.method ?? 'GET', id, rest[0], url.searchParams, async () => (await readJson(req)).text);
    return reply.json === undefined ? send(res, reply.status, reply.body) : sendJsonText(res, reply.status, reply.json);
  }
  if (first === 'session-batch' && second && rest.length === 0) {
    if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
    const reply = await handleSessionBatch(sessions, second, await readBody(req, maxBatchBodyBytes), KEY);
    return send(res, reply.status, reply.body);
  }
  if (first === 'replica' && rest.length === 0) {
    const reply = await replica.handle(req, second || undefined, url.searchParams);
    return send(res, reply.status, reply.body);
  }
  if (rest.length > 0) return send(res, 404, { error: 'not found' });
  const key = second === undefined || second === '' ? undefined : decodeURIComponent(second);
  switch (first) {
    case '':
      // forwardedFor: the chain a front door passed on, so an app (and a test) sees who the client is.
      return send(res, 200, { region: regionId, pid: process.pid, startedAt, forwardedFor: req.headers['x-forwarded-for'] ?? null });
    case 'health':
      return send(res, 200, { status: 'ok', region: regionId, uptimeMillis: Date.now() - startedAt });
    case 'kv':
      return keyValues(key, req, res);
    default:
      return send(res, 404, { error: 'not found' });
  }
}

const server = createServer((req, res) => {
  const current = fault;
  // hang: the connection is accepted and the request read, but never answered.
  if (current.kind === 'hang') return;
  const run = () => {
    if (current.kind === 'fail' && random() < current.fraction) {
      req.resume();
      return send(res, 500, { error: 'injected failure', region: regionId });
    }
    handle(req, res).catch((/** @type {any} */ error) => {
      if (!res.headersSent) send(res, error?.status ?? 500, { error: String(error?.message ?? error) });
    });
  };
  if (current.kind === 'slow') setTimeout(run, current.ms);
  else run();
});
server.keepAliveTimeout = 65_000;

process.on('message', (/** @type {any} */ message) => {
  if (message?.type === 'fault') {
    fault = message.fault;
    process.send?.({ type: 'fault-ack', id: message.id });
  }
});

// The parent went away (exited, crashed, was killed): never outlive it.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

server.on('error', (error) => {
  process.send?.({ type: 'error', message: error.message, code: /** @type {any} */ (error).code });
  process.exit(1);
});
server.listen(port, host, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected server address');
  process.send?.({ type: 'ready', host, port: address.port, pid: process.pid });
});
