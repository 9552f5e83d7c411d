import type { Server } from 'node:net';

/** A server's listening state on 127.0.0.1, for fakes that can be taken down and brought back. */
export interface LoopbackListener {
  /** The port (chosen at the first `listen()` when 0 was given; kept across restarts). */
  readonly port: number;
  /** True between `listen()` and `stop()`. */
  readonly running: boolean;
  /** Listens on 127.0.0.1 at the port. */
  listen(): Promise<void>;
  /** Stops accepting, cuts open connections (after `beforeClose`), resolves once closed. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Listen/stop for a fake service that a test can take down and bring back on
 * the same port (the fake kube-apiserver and the fake ARM both do).
 */
export function loopbackListener(server: Server & { closeAllConnections?(): void }, port = 0, beforeClose?: () => void): LoopbackListener {
  let running = false;
  return {
    get port() {
      return port;
    },
    get running() {
      return running;
    },
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.removeListener('error', reject);
          const address = server.address();
          if (address && typeof address === 'object') port = address.port;
          running = true;
          resolve();
        });
      }),
    async stop() {
      if (!running) return;
      running = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      beforeClose?.();
      server.closeAllConnections?.();
      await closed;
    },
  };
}
