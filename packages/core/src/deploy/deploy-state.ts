import { z } from 'zod';
import { MeridianError } from '../errors/meridian-error.js';
import type { DeployState } from './deploy-types.js';

const status = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled', 'rolled-back']);
const stateSchema = z.object({
  version: z.literal(1),
  id: z.string().min(1),
  spec: z.object({ name: z.string().min(1), regions: z.array(z.string().min(1)).min(1) }).passthrough(),
  strategy: z.enum(['active-active', 'active-passive', 'regional']),
  primary: z.string().optional(),
  onFailure: z.enum(['continue', 'rollback']),
  applyTraffic: z.boolean(),
  fencingToken: z.number().int().nonnegative().optional(),
  startedAt: z.number(),
  regions: z.array(
    z
      .object({
        regionId: z.string().min(1),
        status,
        config: z.object({ regionId: z.string(), env: z.record(z.string(), z.string()), replicas: z.number() }).passthrough(),
        steps: z.array(z.object({ step: z.string(), status: z.enum(['started', 'completed', 'failed']) }).passthrough()),
      })
      .passthrough(),
  ),
});

/**
 * Checks a serialized deployment before resuming it; anything off is
 * `INVALID_ARGUMENT` naming the path, and nothing is deployed.
 */
export function parseDeployState(input: unknown): DeployState {
  const parsed = stateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MeridianError('INVALID_ARGUMENT', `not a resumable deployment state: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const state = structuredClone(input) as DeployState;
  const ids = state.regions.map((r) => r.regionId);
  if (ids.join(',') !== state.spec.regions.join(',')) {
    throw new MeridianError('INVALID_ARGUMENT', `not a resumable deployment state: regions (${ids.join(', ')}) differ from spec.regions (${state.spec.regions.join(', ')})`);
  }
  return state;
}
