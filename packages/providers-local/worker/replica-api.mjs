// @ts-check
// The region's /replica API: the HTTP face of its ReplicaIndex, spoken by
// @meridian/providers-local's LocalReplicaStore. Every request carries
// `x-meridian-replica-protocol: 2` and every answer `"protocol": 2`, so a
// client and a region of different versions refuse each other instead of
// misreading each other's data. Protocol 2 carries anti-entropy tree version 2
// (`digest` and `entries` of tree nodes); protocol 1 carried version 1.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ReplicaIndex } from './replica-index.mjs';
import { BadInput, checkKeys, checkNodes, checkScan, checkWrites } from './replica-input.mjs';

/** Version of the wire protocol this region speaks. */
export const REPLICA_PROTOCOL = 2;
/** Request header that carries the client's protocol version. */
export const PROTOCOL_HEADER = 'x-meridian-replica-protocol';
/** Largest request body, after gzip decompression. */
export const MAX_REPLICA_BODY_BYTES = 16 * 1024 * 1024;

const gunzipAsync = promisify(gunzip);
const OPERATIONS = new Map([
  ['get', 'POST'],
  ['apply', 'POST'],
  ['scan', 'GET'],
  ['digest', 'POST'],
  ['entries', 'POST'],
]);

/** @typedef {{ status: number, body: Record<string, unknown> }} Reply */

/** A refusal other than bad input (which is always 400). */
class HttpError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @param {Record<string, unknown>} body @returns {Reply} */
const ok = (body) => ({ status: 200, body: { protocol: REPLICA_PROTOCOL, ...body } });

/**
 * Reads a JSON object body, gunzipping it when sent with `content-encoding: gzip`.
 * Over the size limit (raw or decompressed) is 413; the rest of an oversized
 * body is still read so the client gets the answer rather than a reset.
 * @param {import('node:http').IncomingMessage} req @returns {Promise<Record<string, unknown>>}
 */
async function readBody(req) {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    req.resume();
    throw new HttpError(415, `content-encoding "${encoding}" is not supported (use gzip or none)`);
  }
  /** @type {Buffer[]} */
  let chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= MAX_REPLICA_BODY_BYTES) chunks.push(chunk);
    else chunks = [];
  }
  if (size > MAX_REPLICA_BODY_BYTES) throw new HttpError(413, `body is ${size} bytes, over the limit of ${MAX_REPLICA_BODY_BYTES}`);
  let raw = Buffer.concat(chunks);
  if (encoding === 'gzip') {
    try {
      raw = await gunzipAsync(raw, { maxOutputLength: MAX_REPLICA_BODY_BYTES });
    } catch (error) {
      if (/** @type {any} */ (error)?.code === 'ERR_BUFFER_TOO_LARGE') {
        throw new HttpError(413, `decompressed body is over the limit of ${MAX_REPLICA_BODY_BYTES} bytes`);
      }
      throw new BadInput(`body is not valid gzip: ${/** @type {Error} */ (error).message}`);
    }
  }
  let parsed;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadInput('body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadInput('body must be a JSON object');
  return parsed;
}

/**
 * The /replica API of one region, holding that region's replicated records in memory.
 * @returns {{ handle(req: import('node:http').IncomingMessage, operation: string | undefined, query: URLSearchParams): Promise<Reply> }}
 */
export function createReplicaApi() {
  const index = new ReplicaIndex();

  /** @param {import('node:http').IncomingMessage} req @param {string} operation @param {URLSearchParams} query @returns {Promise<Reply>} */
  async function run(req, operation, query) {
    switch (operation) {
      case 'get':
        return ok({ records: index.getMany(checkKeys((await readBody(req)).keys)) });
      case 'apply':
        return ok(index.apply(checkWrites((await readBody(req)).writes)));
      case 'scan':
        req.resume();
        return ok(index.scan(checkScan(query)));
      case 'digest':
        return ok({ summaries: index.digest(checkNodes((await readBody(req)).nodes)) });
      default:
        return ok({ entries: index.entries(checkNodes((await readBody(req)).nodes)) });
    }
  }

  return {
    async handle(req, operation, query) {
      const version = req.headers[PROTOCOL_HEADER];
      const method = operation === undefined ? undefined : OPERATIONS.get(operation);
      /** @param {number} status @param {string} error @returns {Reply} */
      const refuse = (status, error) => {
        req.resume();
        return { status, body: { error, protocol: REPLICA_PROTOCOL } };
      };
      if (version !== String(REPLICA_PROTOCOL)) {
        return refuse(400, `replica protocol ${version === undefined ? 'missing' : JSON.stringify(version)}: this region speaks ${REPLICA_PROTOCOL} (send ${PROTOCOL_HEADER}: ${REPLICA_PROTOCOL})`);
      }
      if (operation === undefined || method === undefined) return refuse(404, `no replica operation "${operation ?? ''}"; known: ${[...OPERATIONS.keys()].join(', ')}`);
      if (req.method !== method) return refuse(405, `replica ${operation} takes ${method}, not ${req.method}`);
      try {
        return await run(req, operation, query);
      } catch (error) {
        if (error instanceof BadInput) return refuse(400, error.message);
        if (error instanceof HttpError) return refuse(error.status, error.message);
        throw error;
      }
    },
  };
}
