import { open } from 'node:fs/promises';
import { GroupCommit } from './group-commit.js';

/**
 * fsyncs one directory on behalf of many writers: a rename is durable once a
 * directory fsync that started after it has finished, so writers that ask
 * while one runs share the next one instead of each paying for their own
 * ({@link GroupCommit} over the directory's fsync). A failed fsync rejects
 * every writer waiting on it.
 */
export class DirectorySync {
  readonly #commit: GroupCommit;

  constructor(readonly directory: string) {
    this.#commit = new GroupCommit(async () => {
      const dir = await open(directory, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    });
  }

  /** Resolves once the directory entries changed before this call are on disk. */
  sync(): Promise<void> {
    return this.#commit.sync();
  }
}
