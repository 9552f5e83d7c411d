import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on `host` (bind to 0, read, close). Another
 * process may take it before use, so prefer letting servers bind 0 themselves;
 * this is for the cases that need a port number up front.
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('unexpected address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
