import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How the scripted server answers the next request. */
export type ScriptedBehaviour =
  | { kind: 'ok'; body?: string }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Reads the request, never answers. */
  | { kind: 'hang' }
  /** Destroys the socket without a response. */
  | { kind: 'reset' }
  /** Writes bytes that are not HTTP. */
  | { kind: 'garbage' }
  /** Holds the answer until `release()` of the returned gate is called. */
  | { kind: 'gate'; gate: Gate };

/** A response held open until released. */
export interface Gate {
  release(): void;
  readonly arrived: Promise<void>;
}

/** Creates a gate for a `{ kind: 'gate' }` behaviour. */
export function createGate(): Gate & { markArrived(): void; readonly released: Promise<void> } {
  let release!: () => void;
  let markArrived!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (markArrived = r));
  return { release, released, arrived, markArrived };
}

/** A request as the scripted server received it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTP server on loopback whose answers a test scripts request by request. */
export interface ScriptedServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Requests received so far. */
  readonly requests: number;
  /** Every request with its body, in arrival order (recorded before it is answered). */
  readonly received: readonly ReceivedRequest[];
  /** Answers every following request this way (until changed). */
  set(behaviour: ScriptedBehaviour): void;
  /** Answers the next requests from this queue, then falls back to the `set` behaviour. */
  queue(...behaviours: ScriptedBehaviour[]): void;
  /** Closes the server and destroys every socket. */
  close(): Promise<void>;
}

/** Starts a scripted server on 127.0.0.1 with a random port. */
export async function startScriptedServer(initial: ScriptedBehaviour = { kind: 'ok' }): Promise<ScriptedServer> {
  let current = initial;
  const pending: ScriptedBehaviour[] = [];
  const sockets = new Set<Socket>();
  let requests = 0;
  const received: ReceivedRequest[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const behaviour = pending.shift() ?? current;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Answer once the body is in, so `received` holds the request before the client sees the answer.
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body: Buffer.concat(chunks).toString('utf8') });
      answer(behaviour, req, res);
    });
  });
  const answer = (behaviour: ScriptedBehaviour, req: IncomingMessage, res: ServerResponse): void => {
    switch (behaviour.kind) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(behaviour.body ?? '{"status":"ok"}');
        return;
      case 'status':
        res.writeHead(behaviour.status, behaviour.headers ?? {}).end(behaviour.body ?? '');
        return;
      case 'hang':
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'garbage':
        req.socket.end('this is not HTTP at all\r\n\r\n');
        return;
      case 'gate': {
        const gate = behaviour.gate as ReturnType<typeof createGate>;
        gate.markArrived();
        void gate.released.then(() => {
          if (!res.destroyed) res.writeHead(200).end('{"status":"ok"}');
        });
        return;
      }
    }
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    get requests() {
      return requests;
    },
    get received() {
      return received;
    },
    set(behaviour) {
      current = behaviour;
    },
    queue(...behaviours) {
      pending.push(...behaviours);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
