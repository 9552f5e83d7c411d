// A fast subset of `pnpm chaos` (scripts/chaos), through the same scenario
// functions and runner, so CI exercises them on every run: each one must pass
// with nothing lost, no region process left behind, and client traffic counted.
// The full suite is `pnpm chaos`.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../scripts/chaos/run-scenario.js';
import { leasePause } from '../../../scripts/chaos/scenarios/lease-pause.js';
import { regionKill } from '../../../scripts/chaos/scenarios/region-kill.js';
import { storageOutage } from '../../../scripts/chaos/scenarios/storage-outage.js';
import { syncPartition } from '../../../scripts/chaos/scenarios/sync-partition.js';
import { clockSkew } from '../../../scripts/chaos/scenarios/clock-skew.js';

const FAST = [regionKill, syncPartition, storageOutage, leasePause, clockSkew];

describe('chaos suite (fast subset)', () => {
  for (const scenario of FAST) {
    it(
      `${scenario.id}: ${scenario.expected}, nothing lost`,
      async () => {
        const report = await runScenario(scenario);
        expect(report.error, report.log.join('\n')).toBeUndefined();
        expect(report).toMatchObject({ outcome: 'pass', reactionSeen: true, lost: 0 });
        expect(report.checked).toBeGreaterThan(0);
        // Every one of these has regions behind the front door: client traffic ran through it.
        expect(report.clients).toMatchObject({ sent: expect.any(Number) });
        expect((report.clients as { sent: number }).sent).toBeGreaterThan(0);
      },
      scenario.deadlineMillis + 20_000,
    );
  }

  it('a scenario that overruns its deadline fails, is aborted and cleaned up; a missing provider is not-run, never passed', async () => {
    let cleaned = false;
    let aborted = false;
    const report = await runScenario({
      id: 'stuck',
      title: 'stuck',
      expected: 'never',
      deadlineMillis: 200,
      run: (ctx) => {
        ctx.defer(() => void (cleaned = true));
        ctx.signal.addEventListener('abort', () => void (aborted = true));
        return new Promise(() => undefined);
      },
    });
    expect(report).toMatchObject({ outcome: 'fail', error: 'overran its 200 ms deadline' });
    expect([cleaned, aborted]).toEqual([true, true]);
    const skipped = await runScenario({ id: 'x', title: 'x', expected: 'x', deadlineMillis: 1, notRunReason: () => 'not run: needs y', run: () => Promise.reject(new Error('ran')) });
    expect(skipped).toMatchObject({ outcome: 'not-run', reaction: 'not run: needs y' });
  });
});
