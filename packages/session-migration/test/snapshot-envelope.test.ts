// A migration snapshot built around state text must be the very JSON the codec writes for the parsed state, so a
// recovery that decodes (parses) a kept snapshot reads either, and the identity check on the text must be exact.
import { describe, expect, it } from 'vitest';
import { envelopeJson, stateJsonOf } from '../src/migrator/snapshot-envelope.js';

const identity = { sessionId: 's-1', migrationId: '7b1c0f0e-mig', from: 'us-east', to: 'eu-west' };
const state = { cart: ['book', 'pen'], note: 'say "hi" — ✓', nested: { n: 1, empty: null } };

describe('snapshot envelope', () => {
  it('is byte for byte JSON.stringify of { sessionId, migrationId, from, to, state }', () => {
    for (const value of [state, null, 'text', 42, [1, 2]]) {
      expect(envelopeJson(identity, JSON.stringify(value))).toBe(JSON.stringify({ ...identity, state: value }));
    }
  });

  it('gives back the state text for this identity only', () => {
    const json = envelopeJson(identity, JSON.stringify(state));
    expect(stateJsonOf(json, identity)).toBe(JSON.stringify(state));
    for (const other of [{ sessionId: 's-2' }, { migrationId: 'other' }, { from: 'ap-south' }, { to: 'ap-south' }, { sessionId: 's-' }]) {
      expect(stateJsonOf(json, { ...identity, ...other })).toBeUndefined();
    }
    expect(stateJsonOf(`${json}]`, identity)).toBeUndefined();
  });
});
