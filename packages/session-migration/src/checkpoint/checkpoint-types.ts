/** What one checkpoint round did (payload of `checkpoint:completed`). */
export interface CheckpointRound {
  /** When the round started (clock ms). */
  startedAt: number;
  /** How long it took. */
  durationMillis: number;
  /** Active sessions the round considered. */
  sessions: number;
  /** Checkpoints written. */
  written: number;
  /** Sessions not written: unchanged since their last checkpoint (or a newer one was already stored). */
  unchanged: number;
  /** Sessions whose checkpoint failed (adapter or store); their previous checkpoint stays. */
  failed: number;
  /** Sessions not tried: the store was down, or the checkpointer closed. */
  skipped: number;
  /** Encoded bytes written to the store. */
  bytes: number;
}

/** Payload of `checkpoint:failed`: one session whose checkpoint failed this round. */
export interface CheckpointFailedEvent {
  /** Session id. */
  sessionId: string;
  /** Region it is active in. */
  region: string;
  /** `adapter`: the region did not answer `version` or `snapshot`; `encode`: the codec refused the state; `store`: the write failed. */
  stage: 'adapter' | 'encode' | 'store';
  /** The error's code (`STORE_UNAVAILABLE`, `REGION_UNAVAILABLE` ...), when it has one. */
  code?: string;
  /** The error's message. */
  error: string;
}

/** Payload of `checkpoint:store-unavailable`: a round found the snapshot store down (alert on this). */
export interface CheckpointStoreUnavailableEvent {
  /** The first store error's code, when it has one. */
  code?: string;
  /** The first store error's message. */
  error: string;
  /** Sessions whose write failed. */
  failed: number;
  /** Sessions not tried this round. */
  skipped: number;
  /** When the next round starts (clock ms); absent when the checkpointer is not started. */
  nextRoundAt?: number;
}

/** Events of a {@link SessionCheckpointer}. */
export interface CheckpointerEvents {
  /** A round ended, with its counts (also when the store was down). */
  'checkpoint:completed': CheckpointRound;
  /** One session's checkpoint failed; its previous checkpoint stays current. */
  'checkpoint:failed': CheckpointFailedEvent;
  /** A round could not write to the snapshot store; the rest of the round was skipped, the next round tries again. */
  'checkpoint:store-unavailable': CheckpointStoreUnavailableEvent;
}

/** The last checkpoint this checkpointer wrote (or found newer in the store) for one session. */
export interface SessionCheckpointStatus {
  /** Session id. */
  sessionId: string;
  /** Region the session was active in. */
  region: string;
  /** When the checkpointed state was taken (clock ms). */
  takenAt: number;
  /** The adapter's version of that state, when the adapter reports one. */
  version?: string | number;
  /** Encoded size. */
  bytes: number;
}

/** What {@link SessionCheckpointer.status} reports. */
export interface CheckpointerStatus {
  /** Started and not closed. */
  running: boolean;
  /** Rounds completed. */
  rounds: number;
  /** A round is in progress. */
  inRound: boolean;
  /** When the next scheduled round starts (clock ms). */
  nextRoundAt?: number;
  /** The last completed round. */
  lastRound?: CheckpointRound;
  /** Per session checkpointed by this instance (sessions still tracked by the source). */
  sessions: SessionCheckpointStatus[];
}

/** A decoded checkpoint, as {@link SessionCheckpointer.latest} returns it. */
export interface SessionCheckpoint<T = unknown> {
  /** Session id. */
  sessionId: string;
  /** Region the session was active in when it was taken. */
  region: string;
  /** The adapter's version of the state, when it reports one. */
  version?: string | number;
  /** When the state was taken (the checkpointer's clock, epoch ms). */
  takenAt: number;
  /** SHA-256 (hex) of the state's JSON, when the checkpointer compared states by hash. */
  stateSha256?: string;
  /** Key id it was encrypted with. */
  keyId: string;
  /** The session's state. */
  state: T;
}
