import { z } from 'zod';
import { invalidConfig, parseOptions } from '../config/parse-options.js';
import { regionSchema, type Region, type RegionInput } from './region.js';

const regionListSchema = z.array(regionSchema).min(1, 'at least one region is required');

/**
 * Validates a list of regions and refuses duplicate ids. Every problem is listed
 * in one INVALID_CONFIG error, e.g. `[2].endpoint: must be an absolute http(s) URL`.
 */
export function defineRegions(inputs: ReadonlyArray<RegionInput>): Region[] {
  const regions = parseOptions(regionListSchema, inputs, 'regions') as Region[];
  const seen = new Map<string, number>();
  const duplicates = [];
  for (const [index, region] of regions.entries()) {
    const first = seen.get(region.id);
    if (first === undefined) seen.set(region.id, index);
    else duplicates.push({ path: `[${index}].id`, message: `duplicate region id (first at [${first}])`, value: JSON.stringify(region.id) });
  }
  if (duplicates.length > 0) throw invalidConfig('regions', duplicates);
  return regions;
}

