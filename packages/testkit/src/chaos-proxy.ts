import { createServer, connect, type Server, type Socket } from 'node:net';
import { systemClock, type Clock } from '@meridian/core';

/** Faults a {@link ChaosProxy} applies to new and open connections. */
export interface ChaosFault {
  /** Added to every chunk in each direction, ms. */
  latencyMillis?: number;
  /** ± up to this much more per chunk, ms (seeded). */
  jitterMillis?: number;
  /** Bytes per second per connection and direction (chunks are delayed to keep the rate). */
  bandwidthBytesPerSecond?: number;
  /** Accept connections and data, forward nothing, answer nothing (a partition that drops packets). */
  blackhole?: boolean;
  /** Reset every connection at once (ECONNRESET on the client). */
  reset?: boolean;
  /** Forward client → server, but never server → client (a half-open link). */
  halfOpen?: boolean;
  /** Close a connection after forwarding this many bytes from the server (a truncated reply). */
  closeAfterBytes?: number;
}

/** A TCP proxy on loopback in front of one target, with faults switchable at run time. */
export interface ChaosProxy {
  /** Port it listens on (127.0.0.1). */
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for HTTP targets. */
  readonly url: string;
  /** Replaces the current fault (an empty object clears it). Applies to open connections too. */
  setFault(fault: ChaosFault): void;
  /** Clears every fault. */
  heal(): void;
  /** Connections accepted, bytes each way, connections reset. */
  stats(): { connections: number; bytesToServer: number; bytesToClient: number; resets: number };
  /** Closes the listener and every connection. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startChaosProxy}. */
export interface ChaosProxyOptions {
  /** Where connections go. */
  target: { host?: string; port: number };
  /** Time for latency and bandwidth delays (a ManualClock makes them virtual). Default the system clock. */
  clock?: Clock;
  /** Seed for the jitter. Default 1. */
  seed?: number;
}

/**
 * Starts a TCP proxy on 127.0.0.1 that forwards to `target` and injects the
 * faults the kernel here cannot (no netem): latency with jitter, a bandwidth
 * cap, blackhole, reset, half-open links and truncation. Order of bytes is
 * kept per direction whatever the delays.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const clock = options.clock ?? systemClock;
  const host = options.target.host ?? '127.0.0.1';
  let fault: ChaosFault = {};
  let seed = (options.seed ?? 1) >>> 0;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const stats = { connections: 0, bytesToServer: 0, bytesToClient: 0, resets: 0 };
  const sockets = new Set<Socket>();

  /** Forwards `from` → `to` through a queue so delays never reorder bytes. */
  const pipe = (from: Socket, to: Socket, direction: 'toServer' | 'toClient', onClose: () => void): void => {
    let chain = Promise.resolve();
    let sentAt = clock.now();
    let forwarded = 0;
    from.on('data', (chunk: Buffer) => {
      if (fault.blackhole || (direction === 'toClient' && fault.halfOpen)) return;
      const current = fault;
      chain = chain.then(async () => {
        let delay = (current.latencyMillis ?? 0) + (current.jitterMillis ? Math.round((random() * 2 - 1) * current.jitterMillis) : 0);
        if (current.bandwidthBytesPerSecond) {
          // Each chunk may leave only when the previous ones have had their share of time.
          const due = Math.max(clock.now(), sentAt) + (chunk.length / current.bandwidthBytesPerSecond) * 1000;
          sentAt = due;
          delay = Math.max(delay, due - clock.now());
        }
        if (delay > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
        if (to.destroyed) return;
        let out = chunk;
        if (direction === 'toClient' && current.closeAfterBytes !== undefined) {
          const room = current.closeAfterBytes - forwarded;
          if (room <= 0) return;
          if (out.length > room) out = out.subarray(0, room);
        }
        forwarded += out.length;
        if (direction === 'toServer') stats.bytesToServer += out.length;
        else stats.bytesToClient += out.length;
        to.write(out);
        if (direction === 'toClient' && current.closeAfterBytes !== undefined && forwarded >= current.closeAfterBytes) {
          from.destroy();
          to.destroy();
        }
      });
    });
    from.on('end', () => void chain.then(() => to.end()));
    from.on('close', onClose);
    from.on('error', () => undefined);
  };

  const server: Server = createServer((client) => {
    stats.connections++;
    sockets.add(client);
    if (fault.reset) {
      stats.resets++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host, port: options.target.port });
    sockets.add(upstream);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    upstream.on('error', closeBoth);
    pipe(client, upstream, 'toServer', closeBoth);
    pipe(upstream, client, 'toClient', closeBoth);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('chaos proxy: unexpected address');
  let closed = false;
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    setFault(next) {
      fault = { ...next };
      if (fault.reset) {
        for (const s of sockets) {
          stats.resets++;
          s.resetAndDestroy();
        }
        sockets.clear();
      }
    },
    heal() {
      fault = {};
    },
    stats: () => ({ ...stats }),
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
