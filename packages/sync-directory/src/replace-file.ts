import { open, rename, rm } from 'node:fs/promises';

/**
 * Replaces `file` with `text` atomically (a temp file beside it, synced when
 * `durable`, then renamed): a crash leaves the old file or the new one. Used
 * to compact the append-only files of the store's state.
 */
export async function replaceFile(file: string, text: string, durable: boolean): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file).catch(async (e: unknown) => {
    await rm(temp, { force: true });
    throw e;
  });
}
