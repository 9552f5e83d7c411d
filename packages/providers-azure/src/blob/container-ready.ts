import type { BlobConnection } from './blob-connection.js';
import { restStatus, storeError } from './blob-errors.js';

/**
 * Runs blob calls once the container exists: created on first use (when
 * allowed), and again if it disappears (an emulator restarted in memory, a
 * container deleted by hand), then the call is retried once.
 */
export class ContainerReady {
  #ready: Promise<void> | undefined;

  constructor(readonly connection: BlobConnection) {}

  async run<T>(what: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
    await this.#ensure(signal);
    try {
      return await call();
    } catch (error) {
      if (!this.connection.createContainer || restStatus(error).code !== 'ContainerNotFound') throw error;
      this.#ready = undefined;
      await this.#ensure(signal);
      return call();
    }
  }

  #ensure(signal: AbortSignal | undefined): Promise<void> {
    if (!this.connection.createContainer) return Promise.resolve();
    this.#ready ??= this.connection.container.createIfNotExists({ abortSignal: signal }).then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined;
        throw storeError(error, 'create the container', this.connection.where, signal);
      },
    );
    return this.#ready;
  }
}
