import type { KubeObject } from './kube-object.js';

/** A change, as a watch sends it (the object is a snapshot, never mutated later). */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The resource key (`deployments.apps`), shared by all versions of a type. */
  key: string;
  namespace: string;
  resourceVersion: number;
  object: KubeObject;
  /** The object before a MODIFIED (watches with selectors turn leaving/entering into DELETED/ADDED). */
  previous?: KubeObject;
}

type Listener = (event: StoreEvent) => void;

/**
 * The fake's etcd: objects by resource key, namespace and name, one global
 * resourceVersion counter (as etcd's revision), and a bounded history of
 * events that watches replay from; older versions are "compacted" (410).
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private revision = 1;
  /** Every event after this revision is still in `history`. */
  private compactedThrough = 0;

  constructor(
    private historySize: number,
    private readonly onListenerError: (error: unknown) => void = () => undefined,
  ) {}

  /** The current revision (the resourceVersion of the last write). */
  get currentRevision(): number {
    return this.revision;
  }

  /** The oldest revision a watch can still start from. */
  get oldestWatchableRevision(): number {
    return this.compactedThrough;
  }

  get(key: string, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(key)?.get(`${namespace}/${name}`);
  }

  /** Objects of a type, in one namespace or all (`undefined`), sorted by namespace and name like etcd keys. */
  list(key: string, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(key)?.entries() ?? [])];
    return all
      .filter(([id]) => namespace === undefined || id.startsWith(`${namespace}/`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  /** Stores an object with a new resourceVersion and emits ADDED or MODIFIED; returns the stored object. */
  put(key: string, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? '';
    const id = `${namespace}/${object.metadata.name}`;
    let bucket = this.objects.get(key);
    if (!bucket) this.objects.set(key, (bucket = new Map()));
    const previous = bucket.get(id);
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    bucket.set(id, stored);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', key, namespace, resourceVersion: this.revision, object: stored, ...(previous ? { previous } : {}) });
    return structuredClone(stored);
  }

  /** Removes an object and emits DELETED (with a fresh resourceVersion, as the real server does). */
  remove(key: string, namespace: string, name: string): KubeObject | undefined {
    const bucket = this.objects.get(key);
    const existing = bucket?.get(`${namespace}/${name}`);
    if (!bucket || !existing) return undefined;
    bucket.delete(`${namespace}/${name}`);
    const gone = structuredClone(existing);
    gone.metadata.resourceVersion = String(++this.revision);
    this.emit({ type: 'DELETED', key, namespace, resourceVersion: this.revision, object: gone });
    return structuredClone(gone);
  }

  /** Drops every object of a type (a CRD went away), emitting DELETED for each. */
  removeAll(key: string): void {
    for (const object of this.list(key)) this.remove(key, object.metadata.namespace ?? '', object.metadata.name);
    this.objects.delete(key);
  }

  /** Events after `revision` for the watch to replay, or `undefined` if some were compacted away. */
  eventsSince(revision: number): StoreEvent[] | undefined {
    if (revision < this.compactedThrough) return undefined;
    return this.history.filter((e) => e.resourceVersion > revision);
  }

  /** Forgets all history up to now: any watch from an older resourceVersion gets 410 Expired. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.revision;
  }

  /** Changes how many events are retained (the watch window), compacting at once if needed. */
  setHistorySize(size: number): void {
    this.historySize = size;
    this.trim();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    this.trim();
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  private trim(): void {
    while (this.history.length > this.historySize) this.compactedThrough = this.history.shift()!.resourceVersion;
  }
}
