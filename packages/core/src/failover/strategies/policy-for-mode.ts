import { ActiveActivePolicy } from './active-active.js';
import { ActivePassivePolicy } from './active-passive.js';
import type { PolicyContext, TrafficPolicy } from './traffic-policy.js';

/** The failover modes and the policy each one runs. A new strategy adds one entry here. */
const POLICIES = {
  'active-passive': (ctx: PolicyContext) => new ActivePassivePolicy(ctx),
  'active-active': (ctx: PolicyContext) => new ActiveActivePolicy(ctx),
} satisfies Record<string, (ctx: PolicyContext) => TrafficPolicy>;

/** A failover mode's name. */
export type FailoverMode = keyof typeof POLICIES;

/** The traffic policy of `mode`. */
export function policyForMode(mode: FailoverMode, ctx: PolicyContext): TrafficPolicy {
  return POLICIES[mode](ctx);
}
