// The chaos proxy over real loopback sockets; delays on virtual time.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ManualClock } from '@meridian/core';
import { afterEach, describe, expect, it } from 'vitest';
import { settle, startChaosProxy, type ChaosProxy } from '../src/index.js';

let echo: Server;
let received: Buffer[];
let proxy: ChaosProxy | undefined;
const clients: Socket[] = [];

async function startEcho(reply: (data: Buffer) => Buffer = (d) => d): Promise<number> {
  received = [];
  echo = createServer((s) => {
    s.on('data', (d: Buffer) => {
      received.push(d);
      s.write(reply(d));
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  return (echo.address() as { port: number }).port;
}

async function open(port: number): Promise<{ socket: Socket; data: Buffer[]; events: string[] }> {
  const socket = connect({ host: '127.0.0.1', port });
  clients.push(socket);
  const data: Buffer[] = [];
  const events: string[] = [];
  socket.on('data', (d: Buffer) => data.push(d));
  socket.on('error', (e: NodeJS.ErrnoException) => events.push(e.code ?? 'error'));
  socket.on('close', () => events.push('close'));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, data, events };
}

/** Waits (bounded, on real time) until `check` holds: sockets are real. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check(), what).toBe(true);
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy?.close();
  proxy = undefined;
  await new Promise<void>((r) => echo.close(() => r()));
});

describe('chaos proxy', () => {
  it('forwards both ways when healthy, and counts bytes', async () => {
    proxy = await startChaosProxy({ target: { port: await startEcho() } });
    const c = await open(proxy.port);
    c.socket.write('hello');
    await until(() => Buffer.concat(c.data).toString() === 'hello', 'echo through the proxy');
    expect(proxy.stats()).toMatchObject({ connections: 1, bytesToServer: 5, bytesToClient: 5 });
  });

  it('adds latency on the injected clock, keeping order under jitter', async () => {
    const clock = new ManualClock(0);
    proxy = await startChaosProxy({ target: { port: await startEcho() }, clock });
    proxy.setFault({ latencyMillis: 500, jitterMillis: 200 });
    const c = await open(proxy.port);
    for (const part of ['a', 'b', 'c', 'd']) {
      c.socket.write(part);
      await settle(3);
    }
    await settle(5);
    expect(received).toEqual([]); // nothing before the latency has passed
    for (let i = 0; i < 30; i++) {
      await clock.advanceAsync(100);
      await settle(3);
    }
    await until(() => Buffer.concat(c.data).toString() === 'abcd', 'all four, in order');
    expect(Buffer.concat(received).toString()).toBe('abcd');
  });

  it('caps bandwidth on the injected clock', async () => {
    const clock = new ManualClock(0);
    proxy = await startChaosProxy({ target: { port: await startEcho(() => Buffer.alloc(0)) }, clock });
    proxy.setFault({ bandwidthBytesPerSecond: 1000 });
    const c = await open(proxy.port);
    c.socket.write(Buffer.alloc(4000, 1));
    await settle(5);
    await clock.advanceAsync(2000);
    await settle(5);
    const atTwo = Buffer.concat(received).length;
    expect(atTwo).toBeLessThan(4000);
    for (let i = 0; i < 30; i++) {
      await clock.advanceAsync(100);
      await settle(2);
    }
    await until(() => Buffer.concat(received).length === 4000, 'everything after 4 s at 1000 B/s');
    expect(clock.now()).toBeGreaterThanOrEqual(4000);
  });

  it('blackhole: accepts, forwards nothing, answers nothing; heal restores new traffic', async () => {
    proxy = await startChaosProxy({ target: { port: await startEcho() } });
    proxy.setFault({ blackhole: true });
    const c = await open(proxy.port);
    c.socket.write('lost');
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([]);
    expect(c.data).toEqual([]);
    expect(c.events).toEqual([]); // still connected: a partition, not a refusal
    proxy.heal();
    c.socket.write('found');
    await until(() => Buffer.concat(c.data).toString() === 'found', 'traffic after heal');
  });

  it('reset: open and new connections get ECONNRESET', async () => {
    proxy = await startChaosProxy({ target: { port: await startEcho() } });
    const c = await open(proxy.port);
    proxy.setFault({ reset: true });
    await until(() => c.events.includes('ECONNRESET') || c.events.includes('close'), 'the open connection is reset');
    const d = connect({ host: '127.0.0.1', port: proxy.port });
    clients.push(d);
    const code = await new Promise<string>((r) => {
      d.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      d.on('close', () => r('close'));
    });
    expect(['ECONNRESET', 'close']).toContain(code);
    expect(proxy.stats().resets).toBeGreaterThanOrEqual(2);
  });

  it('half-open: the server gets the request, the client never gets the reply', async () => {
    proxy = await startChaosProxy({ target: { port: await startEcho() } });
    proxy.setFault({ halfOpen: true });
    const c = await open(proxy.port);
    c.socket.write('ping');
    await until(() => Buffer.concat(received).toString() === 'ping', 'request reached the server');
    await new Promise((r) => setTimeout(r, 30));
    expect(c.data).toEqual([]);
  });

  it('closeAfterBytes: the reply is cut and the connection closed', async () => {
    proxy = await startChaosProxy({ target: { port: await startEcho(() => Buffer.from('0123456789')) } });
    proxy.setFault({ closeAfterBytes: 4 });
    const c = await open(proxy.port);
    c.socket.write('x');
    await until(() => c.events.includes('close'), 'closed after 4 bytes');
    expect(Buffer.concat(c.data).toString()).toBe('0123');
  });
});
