import type { ChunkEntry } from './chunk-entry.js';
import type { WriteItem } from './disk-protocol.js';
import type { Manifest } from './file-manifest.js';

/** An entry for the disk thread to write; chunk locations are filled in just before the batch goes. */
export function writeItem(relativePath: string, manifest: Manifest, chunks: ChunkEntry[], onlyIfAbsent: boolean): WriteItem {
  const item: WriteItem = { relative: relativePath, kind: manifest.type, mtimeMs: manifest.mtimeMs, onlyIfAbsent };
  if (manifest.type === 'link') item.target = manifest.target;
  else {
    item.mode = manifest.mode;
    if (manifest.data !== undefined) item.data = manifest.data;
    else item.chunks = chunks.map((c) => ({ hash: c.hash, size: c.size, at: [] }));
  }
  return item;
}
