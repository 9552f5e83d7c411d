import { describe, expect, it } from 'vitest';
import { ChangeLog, type ChangeEntry } from './change-log.js';

// A small deterministic generator, so a failure replays.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('ChangeLog', () => {
  it('pages and counts what is left like a walk over every entry, through rewrites, purges and compactions', () => {
    const next = random(7);
    const log = new ChangeLog();
    const current = new Map<string, ChangeEntry>();
    const model: Array<{ seq: number; key: string; origin: string }> = [];
    const origins = ['us-east', 'eu-west', 'ap-south'];
    let seq = 0;
    for (let step = 0; step < 6_000; step++) {
      const key = `k${Math.floor(next() * 700)}`;
      const previous = current.get(key);
      if (previous) log.retire(previous);
      const at = model.findIndex((m) => m.key === key);
      if (at >= 0) model.splice(at, 1);
      if (next() < 0.1) {
        current.delete(key); // a purge
      } else {
        seq += 1 + Math.floor(next() * 3);
        // Mostly one origin, so scans by another skip whole blocks.
        const origin = next() < 0.8 ? origins[0]! : origins[1 + Math.floor(next() * 2)]!;
        current.set(key, log.append(seq, key, origin));
        model.push({ seq, key, origin });
      }
      log.compact();
      if (step % 97 !== 0) continue;
      expect(log.page(0, undefined, 1).remaining).toBe(Math.max(0, model.length - 1));
      for (const origin of [undefined, ...origins, 'nowhere']) {
        const since = Math.floor(next() * (seq + 2));
        const limit = 1 + Math.floor(next() * 300);
        const matching = model.filter((m) => m.seq > since && (origin === undefined || m.origin === origin));
        const page = log.page(since, origin, limit);
        expect(page.entries.map((e) => e.key)).toEqual(matching.slice(0, limit).map((m) => m.key));
        expect(page.remaining).toBe(Math.max(0, matching.length - limit));
      }
    }
  });
});
