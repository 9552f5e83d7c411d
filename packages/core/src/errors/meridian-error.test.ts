import { describe, expect, it } from 'vitest';
import { MeridianError } from './meridian-error.js';

describe('MeridianError', () => {
  it('carries code, details and cause', () => {
    const cause = new Error('socket closed');
    const error = new MeridianError('PROVIDER_ERROR', 'deploy failed', { cause, details: { regionId: 'eu-west' } });
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ regionId: 'eu-west' });
    expect(error.name).toBe('MeridianError');
    expect(error).toBeInstanceOf(Error);
  });

  it('recognises errors from another copy of the package through the global brand', () => {
    // A second copy of core would have its own class; only the Symbol.for brand is shared.
    const foreign = Object.assign(new Error('x'), { code: 'LEASE_LOST', [Symbol.for('meridian.error')]: true });
    expect(MeridianError.isInstance(foreign)).toBe(true);
    expect(MeridianError.hasCode(foreign, 'LEASE_LOST')).toBe(true);
    expect(MeridianError.hasCode(foreign, 'INVALID_CONFIG')).toBe(false);
  });

  it('does not mistake plain errors or primitives for MeridianErrors', () => {
    expect(MeridianError.isInstance(new Error('x'))).toBe(false);
    expect(MeridianError.isInstance({ code: 'INVALID_CONFIG' })).toBe(false);
    expect(MeridianError.isInstance(null)).toBe(false);
    expect(MeridianError.isInstance('INVALID_CONFIG')).toBe(false);
  });
});
