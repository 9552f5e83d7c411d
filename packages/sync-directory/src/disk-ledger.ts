import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileStat } from './disk-protocol.js';
import { readStateLines, replaceFile } from './state-lines.js';

const LEDGER = 'disk.jsonl';
const COMPACT_SLACK = 10_000;

/** What the store last saw at a path: the version the file held, and the file's stat then. */
export interface SeenFile {
  version: string;
  stat: Pick<FileStat, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino' | 'dev'>;
}

type Line = [path: string, version: string, size: number, mtimeMs: number, ctimeMs: number, ino: number, dev: number] | [path: string];

/**
 * Which version each file of the tree held when the store last saw it, kept
 * across restarts (an append-only file beside the journal). Without it a
 * reopened store cannot tell a file it had not rewritten yet from a file
 * edited while it was closed: a version received just before a stop, not yet
 * written, lost to the older file on disk, which was recorded as a new local
 * edit and replaced it in every region. Same stat as recorded and an older
 * version: the file is stale, and the received version is written over it.
 * A torn last line (a crash mid-append) is dropped; a path missing from the
 * ledger falls back to the old rule (the file on disk is a local edit).
 */
export class DiskLedger {
  readonly #file: string;
  readonly #durable: boolean;
  readonly #seen = new Map<string, SeenFile>();
  #pending: Line[] = [];
  #lines = 0;
  #handle: FileHandle | undefined;

  private constructor(directory: string, durable: boolean) {
    this.#file = join(directory, LEDGER);
    this.#durable = durable;
  }

  /** Loads the ledger in `directory` (which must exist). */
  static async open(directory: string, options: { durable: boolean }): Promise<DiskLedger> {
    const ledger = new DiskLedger(directory, options.durable);
    const lines = await readStateLines(ledger.#file, (line) => {
      const l = line as Line;
      if (!Array.isArray(l) || typeof l[0] !== 'string' || (l.length !== 1 && (l.length !== 7 || typeof l[1] !== 'string' || l.slice(2).some((n) => typeof n !== 'number')))) throw new Error('not a ledger line');
      return l;
    });
    for (const line of lines) ledger.#take(line);
    ledger.#lines = lines.length;
    if (ledger.#lines > 2 * ledger.#seen.size + COMPACT_SLACK) await ledger.#compact();
    ledger.#handle = await open(ledger.#file, 'a');
    return ledger;
  }

  /** What was last seen at `path`. */
  get(path: string): SeenFile | undefined {
    return this.#seen.get(path);
  }

  /** Notes that `path` holds `version` with this stat (written by the next {@link flush}). */
  set(path: string, version: string, stat: FileStat): void {
    const line: Line = [path, version, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.dev];
    this.#take(line);
    this.#pending.push(line);
  }

  /** Notes that nothing of the store's is at `path` any more. */
  forget(path: string): void {
    if (!this.#seen.has(path)) return;
    this.#seen.delete(path);
    this.#pending.push([path]);
  }

  /** Appends what changed since the last flush (synced when durable); rewrites the file when mostly stale. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0 || !this.#handle) return;
    const lines = this.#pending;
    this.#pending = [];
    await this.#handle.appendFile(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    if (this.#durable) await this.#handle.sync();
    this.#lines += lines.length;
    if (this.#lines > 2 * this.#seen.size + COMPACT_SLACK) {
      await this.#handle.close();
      this.#handle = undefined;
      await this.#compact();
      this.#handle = await open(this.#file, 'a');
    }
  }

  /** Flushes and closes. Idempotent. */
  async close(): Promise<void> {
    await this.flush();
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #take(line: Line): void {
    if (line.length === 1) this.#seen.delete(line[0]);
    else this.#seen.set(line[0], { version: line[1], stat: { size: line[2], mtimeMs: line[3], ctimeMs: line[4], ino: line[5], dev: line[6] } });
  }

  async #compact(): Promise<void> {
    const lines = [...this.#seen].map(([path, s]) => JSON.stringify([path, s.version, s.stat.size, s.stat.mtimeMs, s.stat.ctimeMs, s.stat.ino, s.stat.dev]));
    this.#lines = lines.length;
    await replaceFile(this.#file, lines.length > 0 ? `${lines.join('\n')}\n` : '', this.#durable);
  }
}
