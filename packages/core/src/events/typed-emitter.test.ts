import { describe, expect, it } from 'vitest';
import { TypedEmitter, type ListenerErrorEvent } from './typed-emitter.js';

interface Events {
  tick: { n: number };
}

describe('TypedEmitter', () => {
  it('delivers to listeners until disposed', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    const sub = emitter.on('tick', (e) => seen.push(e.n));
    emitter.emit('tick', { n: 1 });
    sub.dispose();
    sub.dispose();
    emitter.emit('tick', { n: 2 });
    expect(seen).toEqual([1]);
  });

  it('once delivers a single event', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    emitter.once('tick', (e) => seen.push(e.n));
    emitter.emit('tick', { n: 1 });
    emitter.emit('tick', { n: 2 });
    expect(seen).toEqual([1]);
  });

  it('reports a throwing listener through "error" and still runs the others', () => {
    const emitter = new TypedEmitter<Events>();
    const errors: ListenerErrorEvent[] = [];
    const seen: number[] = [];
    emitter.on('error', (e) => errors.push(e));
    emitter.on('tick', () => {
      throw new Error('host bug');
    });
    emitter.on('tick', (e) => seen.push(e.n));
    expect(() => emitter.emit('tick', { n: 7 })).not.toThrow();
    expect(seen).toEqual([7]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.event).toBe('tick');
    expect((errors[0]!.error as Error).message).toBe('host bug');
  });

  it('falls back to onUnhandled when nobody listens to "error", or the error listener throws', () => {
    const unhandled: ListenerErrorEvent[] = [];
    const emitter = new TypedEmitter<Events>((e) => unhandled.push(e));
    emitter.on('tick', () => {
      throw new Error('first');
    });
    emitter.emit('tick', { n: 1 });
    emitter.on('error', () => {
      throw new Error('second');
    });
    emitter.emit('tick', { n: 2 });
    expect(unhandled.map((e) => (e.error as Error).message)).toEqual(['first', 'second']);
  });
});
