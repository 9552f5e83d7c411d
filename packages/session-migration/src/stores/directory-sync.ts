import { open } from 'node:fs/promises';

/**
 * fsyncs one directory on behalf of many writers (a group commit): a rename is
 * durable once a directory fsync that started after it has finished, so
 * writers that ask while one runs share the next one instead of each paying
 * for their own. A failed fsync rejects every writer waiting on it.
 */
export class DirectorySync {
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(readonly directory: string) {}

  /** Resolves once the directory entries changed before this call are on disk. */
  sync(): Promise<void> {
    if (!this.#running) return this.#start();
    // The fsync running may have begun before the caller's rename: wait for the next one.
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#start();
      });
    return this.#next;
  }

  #start(): Promise<void> {
    const run = (async () => {
      const dir = await open(this.directory, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    })();
    this.#running = run;
    void run.catch(() => undefined).then(() => {
      if (this.#running === run) this.#running = undefined;
    });
    return run;
  }
}
