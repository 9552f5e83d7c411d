import { Readable } from 'node:stream';

/** A request body as the data plane holds it. */
export type HeldBody =
  | { kind: 'none' }
  /** Fully read (within the cap): can be sent again on a retry. */
  | { kind: 'buffered'; bytes: Buffer }
  /** Larger than the cap: the first `cap` bytes read and the rest still in the client's stream; sent once. */
  | { kind: 'streamed'; stream: Readable };

/** Body inputs the data plane accepts. */
export type BodyInput = string | Uint8Array | AsyncIterable<Uint8Array | string> | null | undefined;

/**
 * Reads a request body up to `capBytes` so it can be replayed on another region.
 * A larger body is never buffered past the cap: what was read is sent first and
 * the rest streams through, once, and that request is not retried.
 */
export async function holdBody(body: BodyInput, capBytes: number): Promise<HeldBody> {
  if (body === null || body === undefined) return { kind: 'none' };
  if (typeof body === 'string') return { kind: 'buffered', bytes: Buffer.from(body) };
  if (body instanceof Uint8Array) return { kind: 'buffered', bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return size === 0 ? { kind: 'none' } : { kind: 'buffered', bytes: Buffer.concat(chunks, size) };
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value);
    chunks.push(chunk);
    size += chunk.length;
    if (size > capBytes) return { kind: 'streamed', stream: Readable.from(rest(chunks, iterator)) };
  }
}

async function* rest(head: Buffer[], iterator: AsyncIterator<Uint8Array | string>): AsyncGenerator<Buffer> {
  yield* head;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value);
  }
}
