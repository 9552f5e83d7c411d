import type { StoredRecord } from '@meridian/core';
import type { ChunkEntry } from './chunk-entry.js';
import type { ChunkLocator } from './chunk-locator.js';
import { conflictCopyPath } from './conflict-copy-name.js';
import type { FileStat, WorkerError, WriteItem } from './disk-protocol.js';
import type { DiskState } from './disk-state.js';
import { DISK_BATCH, fromWorker, type DiskPool } from './disk-worker.js';
import type { Assembly, FileAssemblies } from './file-assemblies.js';
import { parseManifest, sameManifest, type Manifest } from './file-manifest.js';
import type { JournalReplicaStore } from './journal-replica-store.js';
import { listChunks, resolveChunks } from './manifest-chunks.js';
import { CHUNK_PREFIX, FILE_PREFIX } from './record-keys.js';
import { writeItem } from './write-item.js';

/** Ends a path's wait in a pass (`reason` undefined) or says why it still waits; `held`: until a scan has run. */
type Settle = (path: string, reason: string | undefined, held?: boolean) => void;

const LOCAL_EDIT = 'changed here since the store last looked; the next scan records that change first';

/** A file received from another region and not written yet. */
export interface WaitingFile {
  /** Relative path. */
  path: string;
  /** Why: chunks still on their way, a local change not scanned yet, or the error writing it. */
  reason: string;
}

/** What writing one received record takes: entries for the disk thread, then the file's new state or its removal. */
interface Plan {
  items: WriteItem[];
  /** The file written (the last item), and the assembly it was built in. */
  write?: { manifest: Manifest; chunks: ChunkEntry[]; assembly?: Assembly };
  /** A delete won: the file the store last saw at the path goes (the last item), if it is still there unchanged. */
  delete?: true;
}

/** What the writer works with: the store's parts. */
export interface TreeWriterContext {
  dataPath: string;
  regionId: string;
  durable: boolean;
  inner: JournalReplicaStore;
  io: DiskPool;
  locator: ChunkLocator;
  assemblies: FileAssemblies;
  disk: DiskState;
}

/**
 * Writes received versions into the tree: the list of files waiting (and
 * why), and the write passes that empty it, one after another behind the
 * journal. A path that receives a newer version while a pass writes it stays
 * waiting for the next pass (each path has a generation, bumped by
 * {@link expect}). A file is written only once all its chunks are here, never
 * over a local edit not scanned yet, and through a temp file and a rename.
 */
export class TreeWriter {
  readonly #c: TreeWriterContext;
  readonly #waiting = new Map<string, string>();
  // Bumped when an apply receives a new version of a path: a pass that started before it leaves the path waiting.
  readonly #gen = new Map<string, number>();
  #genCounter = 0;
  // Paths whose last write found a local edit not scanned yet: not tried again (each try sends the file's bytes to a
  // disk thread) until a newer version arrives or a scan has run (it records the edit, or finds the path free).
  readonly #heldForScan = new Set<string>();
  // A large waiting file's chunk list, unpacked once, and how far the passes found its chunks here.
  readonly #lists = new Map<string, { version: string; chunks: ChunkEntry[]; from: number }>();
  #writing: Promise<void> = Promise.resolve();
  #writeError: Error | undefined;

  constructor(context: TreeWriterContext) {
    this.#c = context;
  }

  /** Puts `path` on the list to write (a version received, or found stale), with why it waits until then. */
  expect(path: string, reason: string): void {
    this.#waiting.set(path, reason);
    this.#gen.set(path, ++this.#genCounter);
    this.#heldForScan.delete(path);
  }

  /** The tree holds this region's own version of `path` now (a scan recorded it): nothing to write there. */
  drop(path: string): void {
    this.#waiting.delete(path);
    this.#gen.delete(path);
    this.#heldForScan.delete(path);
  }

  /**
   * After an open: the conflict copies of `record`'s pending versions, as
   * places to read their chunks from (the locator's index of them was in
   * memory). A version whose index pieces are not here is left out: its copy
   * was not written either.
   */
  indexCopies(path: string, record: StoredRecord): void {
    for (const c of record.conflicts ?? []) {
      if (c.deleted) continue;
      const loser = parseManifest(c.value, record.key);
      if (loser.type !== 'file') continue;
      const chunks = listChunks(loser, (hash) => this.#c.locator.read(hash));
      if (chunks?.length) this.#c.locator.indexCopy(conflictCopyPath(path, c.origin, c.version), chunks);
    }
  }

  /** A scan has run: writes held back by a local edit are tried again by the next pass. */
  rescanned(): void {
    this.#heldForScan.clear();
  }

  /** Paths waiting, with why. */
  waiting(): WaitingFile[] {
    return [...this.#waiting].map(([path, reason]) => ({ path, reason }));
  }

  /** Resolves when the passes started so far have ended (a scan waits: a file being renamed into place is no local change). */
  idle(): Promise<void> {
    return this.#writing;
  }

  /** The first failure of a pass since the last call, and forgets it. */
  takeError(): Error | undefined {
    const error = this.#writeError;
    this.#writeError = undefined;
    return error;
  }

  /**
   * The chunks of a received version once all are here, else undefined. A
   * large file waits through many write passes while its chunks stream in:
   * its list is unpacked once, and each pass looks only from the first chunk
   * the last one found missing (then once over all of them, before writing).
   */
  #chunksOf(path: string, version: string, manifest: Manifest): ChunkEntry[] | undefined {
    if (manifest.type === 'link' || manifest.data !== undefined || manifest.chunks !== undefined) return resolveChunks(manifest, this.#c.locator);
    let list = this.#lists.get(path);
    if (list?.version !== version) {
      const chunks = listChunks(manifest, (hash) => this.#c.locator.read(hash));
      if (!chunks) return undefined;
      this.#lists.set(path, (list = { version, chunks, from: 0 }));
    }
    while (list.from < list.chunks.length && this.#c.locator.has(list.chunks[list.from]!.hash)) list.from += 1;
    if (list.from < list.chunks.length) return undefined;
    return list.chunks.every((c) => this.#c.locator.has(c.hash)) ? list.chunks : undefined;
  }

  /** Starts a write pass after the one in flight (an apply received files): their errors wait for {@link takeError}. */
  behind(): void {
    const pass = this.#writing.then(() => this.pass());
    this.#writing = pass.catch((error: unknown) => {
      this.#writeError ??= error as Error;
    });
  }

  /**
   * Writes every received file whose chunks are all here, a batch at a time
   * on the disk threads. Batches overlap: the next one is planned (its
   * chunks looked up, main-thread work) while the disk threads write the one
   * before, which left them idle half the time. Paths held back by a local
   * edit wait for the next scan.
   */
  async pass(): Promise<void> {
    const paths = [...this.#waiting.keys()].filter((p) => !this.#heldForScan.has(p));
    if (paths.length === 0) return;
    const gens = new Map(paths.map((p) => [p, this.#gen.get(p)]));
    // Settles a path's wait unless a newer version arrived since this pass began (the next pass takes that one);
    // `held`: it waits for a scan (a local edit is in the way).
    const settle: Settle = (path, reason, held = false) => {
      if (this.#gen.get(path) !== gens.get(path)) return;
      if (reason === undefined) {
        this.#waiting.delete(path);
        this.#gen.delete(path);
        this.#lists.delete(path);
      } else {
        this.#waiting.set(path, reason);
        if (held) this.#heldForScan.add(path);
      }
    };
    const records = await this.#c.inner.lent.getMany(paths.map((p) => FILE_PREFIX + p));
    // Files of this pass being replaced: a chunk only they hold is kept aside while it is still named. For the whole
    // pass, not a batch: a batch is planned while the one before is written, and may replace a file that holds the
    // same chunk as one that batch replaces.
    const replacing = new Set<string>();
    let writing: Promise<void> | undefined;
    try {
      for (let at = 0; at < paths.length; at += DISK_BATCH) {
        const plans = await this.#planBatch(paths.slice(at, at + DISK_BATCH), records.slice(at, at + DISK_BATCH), replacing, settle);
        // One batch written at a time, in order: the previous one's end (and its failure) first.
        const previous = writing;
        writing = (async () => {
          await previous;
          await this.#writeBatch(plans, settle);
        })();
        writing.catch(() => undefined); // awaited below
      }
    } finally {
      await writing?.catch(() => undefined);
    }
    await writing;
    await this.#c.disk.flush();
  }

  /** Plans each path of a batch; paths settled on the way (done, or failed) are not in the result. */
  async #planBatch(slice: string[], records: Array<StoredRecord | undefined>, replacing: Set<string>, settle: Settle): Promise<Array<{ path: string; plan: Plan; version: string }>> {
    const plans: Array<{ path: string; plan: Plan; version: string }> = [];
    for (const [i, path] of slice.entries()) {
      try {
        const plan = await this.#plan(path, records[i], replacing);
        if (plan === 'not-yet') continue;
        if (plan === 'done') settle(path, undefined);
        else plans.push({ path, plan, version: records[i]!.version });
      } catch (error) {
        settle(path, (error as Error).message);
      }
    }
    return plans;
  }

  /** Writes a planned batch on the disk threads, then records what each file holds now. */
  async #writeBatch(plans: Array<{ path: string; plan: Plan; version: string }>, settle: Settle): Promise<void> {
    // Where each chunk is read from, once every plan of the batch has staged what a replaced file alone held.
    const items = plans.flatMap(({ plan }) => plan.items);
    // An assembly is renamed into the tree only once no chunk is still being written into it ahead of its apply.
    if (items.some((item) => item.assembled !== undefined)) await this.#c.assemblies.settled();
    for (const item of items) for (const c of [...(item.chunks ?? []), ...(item.fill ?? [])]) c.at = this.#c.locator.locations(c.hash);
    // Removals after every write of the batch: a write may read its chunks from a file being removed (a conflict copy
    // of that very file, a file moved here from the path removed), and the disk threads run a batch's parts at once.
    const batch = { root: this.#c.dataPath, durable: this.#c.durable, region: this.#c.regionId };
    const writes = items.filter((item) => item.kind !== 'remove');
    const removals = items.filter((item) => item.kind === 'remove');
    const written = writes.length === 0 ? [] : await this.#c.io.write(writes, batch);
    // Conflict copies in place (written now, or kept from before), indexed before anything is removed: the edit
    // renamed into one may have its bytes nowhere else in this region, and the other regions still need them.
    writes.forEach((item, i) => {
      if (item.onlyIfAbsent && item.chunks && !('error' in written[i]!)) this.#c.locator.indexCopy(item.relative, item.chunks);
    });
    const removed = removals.length === 0 ? [] : await this.#c.io.write(removals, batch);
    let w = 0;
    let d = 0;
    const results = items.map((item) => (item.kind === 'remove' ? removed[d++]! : written[w++]!));
    let r = 0;
    const unstage: string[] = [];
    for (const { path, plan, version } of plans) {
      const outcomes = results.slice(r, (r += plan.items.length));
      const failed = outcomes.find((o): o is { error: WorkerError } => 'error' in o);
      // A chunk the copies it was read from did not hold (edited or removed by the user): not counted on again.
      if (failed?.error.field) this.#c.locator.forgetCopies(failed.error.field, chunkSources(plan.items, failed.error.field));
      try {
        if (failed) throw fromWorker(failed.error);
        // Edited here since the store last looked: the disk thread wrote nothing over it; the next scan records the
        // edit first (and drops this wait: the edit is newer).
        if (outcomes.some((o) => 'changed' in o)) {
          settle(path, LOCAL_EDIT, true);
          continue;
        }
        if (plan.write) {
          const written = outcomes.at(-1) as { stat: FileStat };
          if (plan.write.assembly) {
            await this.#c.assemblies.finished(path, plan.write.assembly);
          }
          this.#c.disk.set(path, { stat: written.stat, manifest: plan.write.manifest, chunks: plan.write.chunks }, version);
          for (const c of plan.write.chunks) unstage.push(c.hash);
        } else if (plan.delete) {
          this.#c.disk.forget(path);
        }
        settle(path, undefined);
      } catch (error) {
        settle(path, (error as Error).message);
      }
    }
    // The files hold them now: staged copies go (all at once, not one round trip each).
    await this.#c.locator.unstage(unstage);
  }

  /**
   * What making the tree hold `record` at `path` takes: conflict copies and the
   * file itself to write, or the entry to remove; `not-yet` while chunks are
   * missing; `done` when the tree holds it already. Planned from what the
   * store last saw at the path, without looking at it: the disk thread looks
   * just before the rename (the write's `expect`), and a local edit not
   * scanned yet is never overwritten (the next scan records it first). A file
   * deleted here since is written again when the version received differs
   * from the one deleted; the same version is left deleted, for the next scan
   * to record.
   */
  async #plan(path: string, record: StoredRecord | undefined, replacing: Set<string>): Promise<Plan | 'not-yet' | 'done'> {
    const known = this.#c.disk.get(path);
    const expect = known?.stat ?? null;
    if (!record) return 'done';
    const manifest = record.deleted ? undefined : parseManifest(record.value, record.key);
    const chunks = manifest ? this.#chunksOf(path, record.version, manifest) : [];
    if (!chunks) return 'not-yet';
    // Losing versions first (a delete can win too): one of them may be what the file holds now. Each is kept once.
    const items: WriteItem[] = [];
    for (const c of record.conflicts ?? []) {
      if (c.deleted) continue;
      const loser = parseManifest(c.value, record.key);
      const loserChunks = resolveChunks(loser, this.#c.locator);
      if (!loserChunks) return 'not-yet';
      items.push(writeItem(conflictCopyPath(path, c.origin, c.version), loser, loserChunks, true));
    }
    // A delete removes the file the store last saw there, on the disk thread (nothing seen there: nothing to remove).
    if (!manifest) return { items: expect === null ? items : [...items, { relative: path, kind: 'remove', mtimeMs: 0, expect }], delete: true };
    if (known && sameManifest(known.manifest, manifest)) return items.length === 0 ? 'done' : { items };
    if (known && known.manifest.type === 'file') {
      replacing.add(path);
      await this.#preserveReplaced(known.chunks, new Set(chunks.map((c) => c.hash)), replacing);
    }
    const assembly = this.#c.assemblies.of(path, record.version);
    if (assembly && manifest.type === 'file') {
      items.push({ ...this.#c.assemblies.writeItem(path, manifest, chunks, assembly), expect });
      return { items, write: { manifest, chunks, assembly } };
    }
    items.push({ ...writeItem(path, manifest, chunks, false), expect });
    return { items, write: { manifest, chunks } };
  }

  /**
   * Stages chunks that only files being replaced hold (`replacing`, this one
   * included) and that a live chunk record still names: another region, or a
   * file still to be written, may ask for them.
   */
  async #preserveReplaced(old: ChunkEntry[], kept: Set<string>, replacing: Set<string>): Promise<void> {
    const leaving = old.filter((c) => !kept.has(c.hash) && this.#c.locator.onlyIn(c.hash, replacing));
    if (leaving.length === 0) return;
    const records = await this.#c.inner.lent.getMany(leaving.map((c) => CHUNK_PREFIX + c.hash));
    const keep: Array<{ hash: string; data: Buffer }> = [];
    for (const [i, c] of leaving.entries()) {
      const data = records[i] && !records[i]!.deleted ? this.#c.locator.read(c.hash) : undefined;
      if (data) keep.push({ hash: c.hash, data });
    }
    await this.#c.locator.stage(keep);
  }

}

// Where a write's items were told to read a chunk from.
function chunkSources(items: readonly WriteItem[], hash: string): Array<[string, number]> {
  return items.flatMap((item) => [...(item.chunks ?? []), ...(item.fill ?? [])].filter((c) => c.hash === hash).flatMap((c) => c.at));
}
