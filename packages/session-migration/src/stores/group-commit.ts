/**
 * Runs one sync on behalf of many writers (a group commit): a write is durable
 * once a sync that *started after it completed* has finished, so writers that
 * ask while one runs share the next one instead of each paying for their own.
 * Over any sync: the segment store's fdatasync of the segments written since
 * the last one, and a directory's fsync ({@link DirectorySync}). A failed sync
 * rejects every writer waiting on it.
 */
export class GroupCommit {
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #started = 0;

  /** @param run the sync; it must capture what it covers synchronously, before its first await. */
  constructor(private readonly run: () => Promise<void>) {}

  /** Syncs started so far (for the bench's fsyncs-per-round figure). */
  get started(): number {
    return this.#started;
  }

  /** Resolves once everything written before this call is durable. */
  sync(): Promise<void> {
    if (!this.#running) return this.#start();
    // The sync running may have captured its work before the caller's write: wait for the next one.
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#start();
      });
    return this.#next;
  }

  /** Resolves when no sync is running or queued. */
  async idle(): Promise<void> {
    while (this.#running || this.#next) await (this.#next ?? this.#running)!.catch(() => undefined);
  }

  #start(): Promise<void> {
    this.#started++;
    const run = this.run();
    this.#running = run;
    void run.catch(() => undefined).then(() => {
      if (this.#running === run) this.#running = undefined;
    });
    return run;
  }
}
