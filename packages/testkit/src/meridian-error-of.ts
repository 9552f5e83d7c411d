import { MeridianError } from '@meridian/core';

/**
 * Runs `fn` and returns the MeridianError it throws. Fails the test when it
 * returns normally or throws anything else, so an assertion cannot pass vacuously.
 */
export function meridianErrorOf(fn: () => unknown): MeridianError {
  try {
    fn();
  } catch (error) {
    if (MeridianError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a MeridianError, but nothing was thrown');
}
