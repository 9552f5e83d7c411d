import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ConfigIssue } from '../config/parse-options.js';
import type { FailoverReport } from '../failover/failover-types.js';
import { MeridianError } from './meridian-error.js';

// Type assertions: `pnpm typecheck` (tsc over every test file) fails if a detail loses its type.
describe('MeridianError details types', () => {
  it('hasCode narrows details to the shape of that code', () => {
    const error: unknown = new MeridianError('NO_ELIGIBLE_REGION', 'no region', { details: { reasons: { 'eu-west': 'unhealthy' }, country: 'DE' } });
    if (!MeridianError.hasCode(error, 'NO_ELIGIBLE_REGION')) throw new Error('expected NO_ELIGIBLE_REGION');
    expectTypeOf(error.code).toEqualTypeOf<'NO_ELIGIBLE_REGION'>();
    expectTypeOf(error.details.reasons).toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf(error.details.country).toEqualTypeOf<string | undefined>();
    expect(error.details.reasons).toEqual({ 'eu-west': 'unhealthy' });
  });

  it('types the details of other codes too', () => {
    const config = new MeridianError('INVALID_CONFIG', 'bad', { details: { where: 'x', issues: [] } });
    expectTypeOf(config.details.issues).toEqualTypeOf<ConfigIssue[] | undefined>();
    const failed = new MeridianError('FAILOVER_FAILED', 'failed', { details: { report: {} as FailoverReport } });
    expectTypeOf(failed.details.report).toEqualTypeOf<FailoverReport>();
    const migration = new MeridianError('MIGRATION_FAILED', 'failed', { details: { sessionId: 's', failedStep: undefined } });
    expectTypeOf(migration.details.sessionId).toEqualTypeOf<string>();
  });

  it('refuses details that do not fit the code at the throw site', () => {
    // @ts-expect-error: SNAPSHOT_TOO_LARGE needs bytes and max
    void new MeridianError('SNAPSHOT_TOO_LARGE', 'too large', { details: { bytes: 1 } });
    // @ts-expect-error: reasons of NO_ELIGIBLE_REGION are strings by region id
    void new MeridianError('NO_ELIGIBLE_REGION', 'none', { details: { reasons: ['eu-west'] } });
  });

  it('keeps details readable as unknown while the code is not known', () => {
    const error = new MeridianError('NO_ELIGIBLE_REGION', 'none', { details: { country: 'DE' } }) as MeridianError;
    expectTypeOf(error.details.country).toEqualTypeOf<unknown>();
    expectTypeOf(error).toExtend<Error>();
    // A narrowed error still goes wherever a MeridianError is expected.
    expectTypeOf<MeridianError<'LEASE_LOST'>>().toExtend<MeridianError>();
  });
});
