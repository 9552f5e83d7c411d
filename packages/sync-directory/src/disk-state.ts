import type { ChunkEntry } from './chunk-entry.js';
import type { ChunkLocator } from './chunk-locator.js';
import type { DiskLedger, SeenFile } from './disk-ledger.js';
import type { FileStat } from './disk-protocol.js';
import type { Manifest } from './file-manifest.js';

/** A file as this store last saw it on disk (scanned or written): how to tell it changed, and what it holds. */
export interface DiskFile {
  stat: FileStat;
  manifest: Manifest;
  chunks: ChunkEntry[];
}

/**
 * What the tree holds as the store last saw it, scanned or written: each
 * file's stat, manifest and chunks in memory (the locator indexes the chunks,
 * so a chunk's bytes are read from the file that holds them), and which
 * version each file held in the ledger, kept across restarts. The scan and
 * the writer both keep it: one place, so the three never disagree.
 */
export class DiskState {
  readonly #files = new Map<string, DiskFile>();
  readonly #locator: ChunkLocator;
  readonly #ledger: DiskLedger;

  constructor(locator: ChunkLocator, ledger: DiskLedger) {
    this.#locator = locator;
    this.#ledger = ledger;
  }

  get(path: string): DiskFile | undefined {
    return this.#files.get(path);
  }

  has(path: string): boolean {
    return this.#files.has(path);
  }

  /** Every path with a file seen since the store opened. */
  paths(): string[] {
    return [...this.#files.keys()];
  }

  /** What the ledger says was at `path` before the store opened (or since). */
  lastSeen(path: string): SeenFile | undefined {
    return this.#ledger.get(path);
  }

  /** `path` holds `disk`, which is `version`'s content (or, for a stale file, the version it still holds). */
  set(path: string, disk: DiskFile, version: string): void {
    this.#ledger.set(path, version, disk.stat);
    const old = this.#files.get(path);
    if (old) this.#locator.forgetFile(path, old.chunks);
    this.#files.set(path, disk);
    this.#locator.indexFile(path, disk.chunks);
  }

  /** Nothing of the store's is at `path` any more. */
  forget(path: string): void {
    this.#ledger.forget(path);
    const old = this.#files.get(path);
    if (!old) return;
    this.#locator.forgetFile(path, old.chunks);
    this.#files.delete(path);
  }

  /** Writes the ledger's changes (after a scan or a write pass). */
  flush(): Promise<void> {
    return this.#ledger.flush();
  }

  close(): Promise<void> {
    return this.#ledger.close();
  }
}
