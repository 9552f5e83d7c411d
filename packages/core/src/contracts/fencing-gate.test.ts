import { describe, expect, it } from 'vitest';
import { MeridianError } from '../errors/meridian-error.js';
import { FencingGate } from './fencing-gate.js';

describe('FencingGate', () => {
  it('lets equal or newer tokens through, refuses older ones with LEASE_LOST, and ignores calls without a token', () => {
    const gate = new FencingGate();
    gate.check(3);
    gate.accept(3);
    gate.check(3);
    gate.check(4);
    gate.check(undefined);
    let error: unknown;
    try {
      gate.check(2, 'setTraffic');
    } catch (e) {
      error = e;
    }
    expect(MeridianError.hasCode(error, 'LEASE_LOST')).toBe(true);
    expect((error as MeridianError).message).toBe('setTraffic refused: fencing token 2 is older than 3; another instance holds the lease');
    gate.accept(undefined);
    gate.accept(1); // never goes back
    expect(gate.highest).toBe(3);
  });
});
