import { MeridianError } from '@meridian/core';

/** Collects a download stream into one Buffer; an abort destroys the stream and rejects. */
export async function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const onAbort = (): void => void (stream as NodeJS.ReadableStream & { destroy?(error?: Error): void }).destroy?.(new MeridianError('ABORTED', 'SnapshotStore.get was aborted', { cause: signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks);
}
