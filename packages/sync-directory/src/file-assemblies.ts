import { MeridianError } from '@meridian/core';
import { sha256Hex, type ChunkEntry } from './chunk-entry.js';
import type { ChunkLocator, Pack, PlaceFn } from './chunk-locator.js';
import type { FillChunk, WriteItem } from './disk-protocol.js';
import type { FileManifest, Manifest } from './file-manifest.js';
import { listChunks } from './manifest-chunks.js';
import { CHUNK_PREFIX } from './record-keys.js';

/** A large received file being built in place: its staging file, the version, and where each missing chunk goes. */
export interface Assembly {
  pack: Pack;
  version: string;
  offsets: Map<string, number[]>;
}

/** A version of a file just received: its manifest, none for a tombstone. */
export interface ReceivedVersion {
  version: string;
  manifest: Manifest | undefined;
}

/** Files at least this large are assembled in place rather than staged in packs and copied. */
export const ASSEMBLE_FROM = 1024 * 1024;

/**
 * The large received files a directory store is building in place (see
 * `ChunkLocator.createAssembly`): which files get one (at least
 * {@link ASSEMBLE_FROM} bytes, once their chunk list is known), where an
 * arriving chunk goes, and the write that completes and renames one. Off when
 * the state directory is on another file system than the data path (a rename
 * could not move the file into the tree).
 */
export class FileAssemblies {
  readonly #locator: ChunkLocator;
  readonly #enabled: boolean;
  readonly #place: PlaceFn;
  readonly #assemblies = new Map<string, Assembly>();
  // Large files whose chunk list is not known yet (their index pieces are still on their way).
  readonly #candidates = new Map<string, { version: string; manifest: FileManifest }>();
  // Chunks being written into assemblies ahead of their batch's apply (see `stageAhead`), by hash.
  readonly #ahead = new Map<string, Promise<void>>();

  constructor(locator: ChunkLocator, enabled: boolean, place: PlaceFn) {
    this.#locator = locator;
    this.#enabled = enabled;
    this.#place = place;
  }

  /**
   * Puts a batch's chunk bytes on disk, each checked against its hash: into the assembly of a large
   * file that needs them (starting the assemblies whose chunk list `staging`
   * completes), the rest in one pack.
   */
  async stage(staging: ReadonlyMap<string, Buffer>): Promise<void> {
    // Every chunk is checked against its hash before it is kept, and a corrupted one fails the whole batch before
    // any record is stored: here, those not bound for an assembly already started (index pieces among them, read
    // to start one); the disk thread that writes an assembly checks the chunks it receives.
    const started = [...this.#assemblies.values()];
    for (const [hash, data] of staging) {
      if (started.some((a) => a.offsets.has(hash))) continue;
      if (sha256Hex(data) !== hash) throw new MeridianError('INVALID_ARGUMENT', `record "${CHUNK_PREFIX}${hash}" carries bytes whose SHA-256 is not its key (corrupted)`, { details: { field: `${CHUNK_PREFIX}${hash}` } });
    }
    await this.#start(staging);
    const { into, rest } = this.#bound(staging);
    await this.#locator.stage(rest.map(([hash, data]) => ({ hash, data })));
    for (const [assembly, items] of into) await this.#locator.stageInto(assembly.pack, items, this.#place);
  }

  // The chunks of `staging` an assembly started waits for, by assembly (each in the first that needs it: another
  // that needs it too copies it from that one when it completes), and the rest.
  #bound(staging: Iterable<[string, Buffer]>): { into: Map<Assembly, Array<{ hash: string; data: Buffer; offsets: number[] }>>; rest: Array<[string, Buffer]> } {
    const into = new Map<Assembly, Array<{ hash: string; data: Buffer; offsets: number[] }>>();
    const rest: Array<[string, Buffer]> = [];
    for (const [hash, data] of staging) {
      let assembly: Assembly | undefined;
      for (const a of this.#assemblies.values()) {
        if (!a.offsets.has(hash)) continue;
        assembly = a;
        break;
      }
      if (!assembly) {
        rest.push([hash, data]);
        continue;
      }
      const list = into.get(assembly) ?? [];
      list.push({ hash, data, offsets: assembly.offsets.get(hash)! });
      into.set(assembly, list);
    }
    return { into, rest };
  }

  /**
   * Starts writing the chunks of a batch not applied yet into the assemblies
   * that wait for them (checked against their hash on the disk thread), while
   * the batches before it are applied: the writes and the hashing leave the
   * apply's path. Only chunks an assembly already started needs and that are
   * not here; the others wait for the apply (`stage`). Bytes staged this way
   * whose records are never applied are valid chunks all the same, dropped
   * with their assembly like any other staged chunk. A failure (a corrupted
   * chunk) is left for the apply, which stages the chunk again and fails.
   */
  stageAhead(staging: ReadonlyMap<string, Buffer>): void {
    const { into } = this.#bound([...staging].filter(([hash]) => !this.#ahead.has(hash) && !this.#locator.has(hash)));
    for (const [assembly, items] of into) {
      const run = this.#locator.stageInto(assembly.pack, items, this.#place).catch(() => undefined);
      for (const { hash } of items) this.#ahead.set(hash, run);
      void run.then(() => {
        for (const { hash } of items) if (this.#ahead.get(hash) === run) this.#ahead.delete(hash);
      });
    }
  }

  /** Resolves when the chunks among `hashes` being staged ahead are (or failed to be): an apply's look at what is here waits for them. */
  async ahead(hashes: Iterable<string>): Promise<void> {
    const runs = new Set<Promise<void>>();
    for (const hash of hashes) {
      const run = this.#ahead.get(hash);
      if (run) runs.add(run);
    }
    await Promise.all(runs);
  }

  /** Resolves when nothing is being staged ahead: an assembly is renamed into the tree or let go only then (a write into it after would change the file). */
  async settled(): Promise<void> {
    await Promise.all(new Set(this.#ahead.values()));
  }

  /**
   * Files just received: a large one becomes a candidate (and gets its
   * assembly as soon as its chunk list is known); an assembly of an older
   * version, or of a file now deleted, is let go (its chunks stay staged until
   * no record needs them).
   */
  async note(applied: ReadonlyMap<string, ReceivedVersion | undefined>): Promise<void> {
    for (const [path, received] of applied) {
      const assembly = this.#assemblies.get(path);
      if (assembly && assembly.version !== received?.version) {
        this.#assemblies.delete(path);
        await this.settled();
        await this.#locator.releaseAssembly(assembly.pack, false);
      }
      this.#candidates.delete(path);
      const manifest = received?.manifest;
      if (this.#enabled && manifest?.type === 'file' && manifest.data === undefined && manifest.size >= ASSEMBLE_FROM && !this.#assemblies.has(path)) {
        this.#candidates.set(path, { version: received!.version, manifest });
      }
    }
    await this.#start(new Map());
  }

  /** The assembly of `path` for this version, if one is being built. */
  of(path: string, version: string): Assembly | undefined {
    const assembly = this.#assemblies.get(path);
    return assembly?.version === version ? assembly : undefined;
  }

  /** The write of an assembled file: the chunks it does not hold yet (at every offset they take), then the rename. */
  writeItem(path: string, manifest: FileManifest, chunks: ChunkEntry[], assembly: Assembly): WriteItem {
    const fill = new Map<string, FillChunk>();
    let at = 0;
    for (const c of chunks) {
      if (this.#locator.stagedIn(c.hash) !== assembly.pack) {
        const entry = fill.get(c.hash) ?? { hash: c.hash, size: c.size, at: [], offsets: [] };
        entry.offsets.push(at);
        fill.set(c.hash, entry);
      }
      at += c.size;
    }
    return { relative: path, kind: 'file', mode: manifest.mode, mtimeMs: manifest.mtimeMs, assembled: assembly.pack.file, fill: [...fill.values()] };
  }

  /** The file was renamed into the tree; an assembly started meanwhile for a newer version of it stays. */
  async finished(path: string, assembly: Assembly): Promise<void> {
    if (this.#assemblies.get(path) === assembly) this.#assemblies.delete(path);
    await this.#locator.releaseAssembly(assembly.pack, true);
  }

  // An assembly for each candidate whose chunk list is now known (its index pieces here or in `staging`) and
  // some of whose chunks are still to come.
  async #start(staging: ReadonlyMap<string, Buffer>): Promise<void> {
    for (const [path, candidate] of this.#candidates) {
      const chunks = listChunks(candidate.manifest, (hash) => this.#locator.read(hash) ?? staging.get(hash));
      if (!chunks) continue;
      this.#candidates.delete(path);
      const offsets = new Map<string, number[]>();
      let at = 0;
      for (const c of chunks) {
        if (!this.#locator.has(c.hash)) offsets.set(c.hash, [...(offsets.get(c.hash) ?? []), at]);
        at += c.size;
      }
      if (offsets.size === 0) continue;
      this.#assemblies.set(path, { pack: await this.#locator.createAssembly(candidate.manifest.size), version: candidate.version, offsets });
    }
  }
}
