import { invalidConfig, type ConfigIssue } from '../config/parse-options.js';
import type { TrafficWeights } from './region-provider.js';

/**
 * Checks traffic weights: known region ids, finite numbers >= 0, and a positive
 * sum (all-zero weights would blackhole every client).
 */
export function validateTrafficWeights(weights: TrafficWeights, known: string[]): TrafficWeights {
  const issues: ConfigIssue[] = [];
  if (weights === null || typeof weights !== 'object') {
    throw invalidConfig('traffic weights', [{ path: '(root)', message: 'must be an object of region id -> weight', value: String(weights) }]);
  }
  let sum = 0;
  for (const [regionId, weight] of Object.entries(weights)) {
    if (!known.includes(regionId)) {
      issues.push({ path: regionId, message: `unknown region (known: ${known.join(', ')})`, value: String(weight) });
    } else if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      issues.push({ path: regionId, message: 'must be a finite number >= 0', value: String(weight) });
    } else {
      sum += weight;
    }
  }
  if (issues.length === 0 && !(sum > 0)) {
    issues.push({ path: '(root)', message: 'weights must sum to a positive number', value: JSON.stringify(weights) });
  }
  if (issues.length > 0) throw invalidConfig('traffic weights', issues);
  return { ...weights };
}
