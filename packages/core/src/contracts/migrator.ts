/** Options of one migration. */
export interface MigrateOptions {
  /** Aborts and undoes the steps done. */
  signal?: AbortSignal;
  /** Gives up (and undoes) after this long. */
  timeoutMillis?: number;
  /** Attempts after the first. */
  retries?: number;
}

/** Outcome of one migration. */
export interface MigrationResult {
  /** Session id. */
  sessionId: string;
  /** Where it was. */
  from: string;
  /** Where it is now. */
  to: string;
  /** Wall time taken. */
  durationMillis: number;
}

/** Outcome of moving many sessions. */
export interface BatchMigrationResult {
  /** Sessions moved. */
  migrated: MigrationResult[];
  /** Sessions that stayed where they were (rolled back), with why. */
  failed: FailedMigration[];
}

/** A session a batch could not move. */
export interface FailedMigration {
  /** Session id. */
  sessionId: string;
  /** Why. */
  error: string;
}

/** Moves live sessions between regions without losing one. */
export interface Migrator {
  /** Moves one session (an awaitable operation). */
  migrate(sessionId: string, targetRegion: string, options?: MigrateOptions): PromiseLike<MigrationResult>;
  /** Moves every session out of a region. */
  evacuate(regionId: string, options?: MigrateOptions): Promise<BatchMigrationResult>;
}

/** A session as adapters see it. */
export interface SessionRef {
  /** Session id. */
  id: string;
  /** Region the session is active in (the source, during a migration). */
  region: string;
  /** Host metadata (user, client IP ...), never secrets. */
  metadata: Record<string, string>;
}

/** Options every adapter call takes. */
export interface AdapterCallOptions {
  /** Aborts the call. */
  signal: AbortSignal;
}

/**
 * Options of `restore` and `activate`: the session's **fencing epoch**. Every
 * activation in a new region (a migration, a recovery) takes the next epoch; a
 * region that holds a copy with a higher epoch must refuse an activation with a
 * lower one (`SESSION_FENCED`), so a stale copy never serves again. Adapters
 * that cannot store an epoch may ignore it: the registry's compare-and-set
 * still fences the control plane.
 */
export interface ActivationCallOptions extends AdapterCallOptions {
  /** The epoch this copy is restored or activated under. */
  epoch?: number;
}

/** A copy of a session a region holds, as {@link SessionAdapter.list} reports it. */
export interface HeldSession {
  /** Session id. */
  id: string;
  /** Whether the region serves it. */
  status: 'active' | 'suspended';
  /** The fencing epoch it was restored or activated under, when the region keeps one. */
  epoch?: number;
}

/** One session of a batch call, and the fencing epoch its restore or activation is under. */
export interface SessionBatchItem {
  /** The session. */
  session: SessionRef;
  /** As {@link ActivationCallOptions.epoch}, for this session. */
  epoch?: number;
}

/** One session of {@link SessionAdapter.restoreJsonMany}: its state as JSON text. */
export interface SessionRestoreItem extends SessionBatchItem {
  /** The state, as `snapshotJson` returned it. */
  json: string;
}

/**
 * What a batch call did to one of its sessions: `error` absent when it was
 * done, else the error the single call would have thrown for it (a
 * `MeridianError` with its `code`: `SESSION_FENCED`, `SESSION_NOT_FOUND`, ...).
 */
export interface SessionBatchOutcome {
  /** Session id. */
  sessionId: string;
  /** Why it was not done; absent when it was. */
  error?: Error;
}

/**
 * What a host supplies for its kind of session (browser contexts, game rooms, an
 * opaque blob): Meridian owns the protocol around these five calls. Optional
 * ones add to it: `version` lets a checkpointer skip unchanged sessions
 * without taking their snapshot, `snapshotJson` and `restoreJson` let a
 * migration carry the state as text without parsing it, `list` lets a region
 * that comes back be reconciled completely, and the `...Many` calls let a
 * migrator move many sessions between the same two regions in a few round
 * trips instead of one per session and step.
 */
export interface SessionAdapter {
  /** Captures the session's state in its region (JSON-serialisable). */
  snapshot(session: SessionRef, options: AdapterCallOptions): Promise<unknown>;
  /** Stops the session serving in `region` (keeps its state there). */
  suspend(session: SessionRef, region: string, options: AdapterCallOptions): Promise<void>;
  /** Creates the session in `region` from a snapshot's state, suspended, under `options.epoch`. */
  restore(session: SessionRef, region: string, state: unknown, options: ActivationCallOptions): Promise<void>;
  /** Makes the session serve in `region` (also resumes a suspended source); refuses an `options.epoch` lower than the copy's with `SESSION_FENCED`. */
  activate(session: SessionRef, region: string, options: ActivationCallOptions): Promise<void>;
  /** Removes the session from `region`; removing an absent one is not an error. */
  discard(session: SessionRef, region: string, options: AdapterCallOptions): Promise<void>;
  /**
   * Optional, with `restoreJson`: the session's state in its region
   * (`session.region`) as JSON text: what `snapshot` returns, serialised. A
   * migration then carries the text through the codec as it is, instead of
   * parsing it and serialising it again, which for large states is most of a
   * migration's own work. An adapter whose region holds the state as text (or
   * receives it as text) implements both; without both, `snapshot` and
   * `restore` are used.
   */
  snapshotJson?(session: SessionRef, options: AdapterCallOptions): Promise<string>;
  /** Optional, with `snapshotJson`: `restore`, the state given as the JSON text `snapshotJson` returned. */
  restoreJson?(session: SessionRef, region: string, json: string, options: ActivationCallOptions): Promise<void>;
  /**
   * Optional: a version or change counter of the session's state in its region
   * (`session.region`), read without transferring the state. It must change on
   * every change of the state and never come back to an earlier value for a
   * different state (a region restarting must not repeat old values). Equal
   * values mean "unchanged": a checkpointer then skips the snapshot. Without it,
   * the checkpointer takes a snapshot every interval and compares its SHA-256.
   */
  version?(session: SessionRef, options: AdapterCallOptions): Promise<string | number>;
  /**
   * Optional: every copy of a session `region` holds (active or suspended).
   * With it, a region that comes back after its sessions were recovered
   * elsewhere is reconciled completely (stale copies discarded, its own
   * sessions confirmed); without it, only the copies this control plane
   * recovered away from the region are discarded.
   */
  list?(region: string, options: AdapterCallOptions): Promise<HeldSession[]>;
  /**
   * Optional batch calls: each does what its single call does, to many
   * sessions in one region at once, and answers one outcome per session, in
   * the order given. One session that fails (fenced, missing) fails alone and
   * is named in its outcome; the call rejects only when it could not be made
   * at all (the region did not answer), which fails every session in it.
   * Each session's `epoch` fences it as the single call's would. A migrator
   * uses them when the adapter has them (`restoreJsonMany` with
   * `snapshotJson` and `restoreJson`), and the single calls otherwise.
   */
  suspendMany?(sessions: SessionRef[], region: string, options: AdapterCallOptions): Promise<SessionBatchOutcome[]>;
  /** Optional batch `restoreJson`: see {@link SessionAdapter.suspendMany}. */
  restoreJsonMany?(items: SessionRestoreItem[], region: string, options: AdapterCallOptions): Promise<SessionBatchOutcome[]>;
  /** Optional batch `activate`: see {@link SessionAdapter.suspendMany}. */
  activateMany?(items: SessionBatchItem[], region: string, options: AdapterCallOptions): Promise<SessionBatchOutcome[]>;
  /** Optional batch `discard` (an absent session is done, as for `discard`): see {@link SessionAdapter.suspendMany}. */
  discardMany?(sessions: SessionRef[], region: string, options: AdapterCallOptions): Promise<SessionBatchOutcome[]>;
}
