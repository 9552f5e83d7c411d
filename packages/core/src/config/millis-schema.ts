import { z } from 'zod';
import { MAX_TIMER_MILLIS } from '../clock/clock.js';

// One bound for every duration option: Node fires a timer longer than 2^31-1 ms
// after 1 ms, so a longer value is refused rather than silently shortened.

/** @internal What an INVALID_CONFIG says about a duration past the bound. */
export const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

/** @internal A positive whole number of milliseconds a timer can wait. */
export const millisSchema = z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);

/** @internal A whole number of milliseconds, 0 allowed, a timer can wait. */
export const nonNegativeMillisSchema = z.number().int().min(0).max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);
