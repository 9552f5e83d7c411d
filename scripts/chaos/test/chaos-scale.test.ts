// `pnpm chaos --scale N`: the command line, the scaling rules, the write
// workload's writers and the run's totals, without starting any region.
import type { ReplicaWriter } from '@meridian/core';
import { describe, expect, it, vi } from 'vitest';
import { ChaosArgsError, parseChaosArgs } from '../args.js';
import { resultsFileName, runTotals } from '../report.js';
import { clientRateFor, MAX_SCALE, scaledDeadline, writersFor } from '../scale.js';
import type { ScenarioReport } from '../scenario.js';
import { startWriteWorkload } from '../write-workload.js';

const IDS = ['region-kill', 'clock-skew'];
const parse = (...args: string[]) => parseChaosArgs(args, IDS);
const refusal = (...args: string[]): string => {
  try {
    parse(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(ChaosArgsError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${args.join(' ')}`);
};

describe('pnpm chaos arguments', () => {
  it('defaults: every scenario, scale 1, 50 client requests/s', () => {
    expect(parse()).toEqual({ only: [], verbose: false, scale: 1, clientRatePerSecond: 50 });
    expect(parse('clock-skew', '--verbose')).toEqual({ only: ['clock-skew'], verbose: true, scale: 1, clientRatePerSecond: 50 });
  });

  it('--scale N or --scale=N; the client rate follows it (50 × N, at most 200) unless --client-rate is given', () => {
    expect(parse('--scale', '10')).toMatchObject({ only: [], scale: 10, clientRatePerSecond: 200 });
    expect(parse('--scale=2', 'region-kill')).toMatchObject({ only: ['region-kill'], scale: 2, clientRatePerSecond: 100 });
    expect(parse('--scale=10', '--client-rate=75')).toMatchObject({ scale: 10, clientRatePerSecond: 75 });
    expect(parse('--client-rate', '300', '--scale', '3')).toMatchObject({ scale: 3, clientRatePerSecond: 300 });
  });

  it('refuses a scale that is not a whole number from 1 to 20, naming what it got', () => {
    expect(refusal('--scale=0')).toBe('--scale must be a whole number from 1 to 20, got --scale=0');
    expect(refusal('--scale', '21')).toBe('--scale must be a whole number from 1 to 20, got --scale 21');
    expect(refusal('--scale=2.5')).toContain('got --scale=2.5');
    expect(refusal('--scale=ten')).toContain('got --scale=ten');
    expect(refusal('--scale')).toBe('--scale must be a whole number from 1 to 20, got --scale');
  });

  it('refuses a bad client rate, an unknown scenario and an unknown option', () => {
    expect(refusal('--client-rate=0')).toBe('--client-rate must be a number of requests per second from 1 to 1000, got --client-rate=0');
    expect(refusal('region-hang')).toBe('unknown scenario(s): region-hang; known: region-kill, clock-skew');
    expect(refusal('--scal=10')).toContain('unknown option(s): --scal=10');
  });
});

describe('scaling rules', () => {
  it('client rate: 50 × scale, capped at 200 (reached at scale 4); an explicit rate wins', () => {
    expect([1, 2, 3, 4, 10, MAX_SCALE].map((s) => clientRateFor(s))).toEqual([50, 100, 150, 200, 200, 200]);
    expect(clientRateFor(10, 20)).toBe(20);
  });

  it('writers: 1 at scale 1, 2 × scale − 1 above; deadlines grow by a tenth per step', () => {
    expect([1, 2, 10, 20].map(writersFor)).toEqual([1, 3, 19, 39]);
    expect([1, 10, 20].map((s) => scaledDeadline(30_000, s))).toEqual([30_000, 57_000, 87_000]);
  });

  it('results: chaos.json at scale 1, chaos-scale-N.json otherwise', () => {
    expect([1, 10].map(resultsFileName)).toEqual(['chaos.json', 'chaos-scale-10.json']);
  });
});

describe('write workload writers', () => {
  it('runs `concurrency` writes at once on distinct keys; pause() waits for every one in flight', async () => {
    const pending: Array<{ key: string; settle: () => void }> = [];
    const writer = { put: (key: string) => new Promise<void>((resolve) => pending.push({ key, settle: resolve })) } as unknown as ReplicaWriter;
    const stop = new AbortController();
    const workload = startWriteWorkload({ writers: { 'us-east': writer }, targets: () => ['us-east'], everyMillis: 1, concurrency: 3, signal: stop.signal });
    await vi.waitFor(() => expect(pending).toHaveLength(3));
    expect(new Set(pending.map((p) => p.key)).size).toBe(3);

    let paused = false;
    const pausing = workload.pause().then(() => void (paused = true));
    pending[0]!.settle();
    pending[1]!.settle();
    await Promise.resolve();
    expect(paused).toBe(false);
    pending[2]!.settle();
    await pausing;
    expect(workload.acked.size).toBe(3);
    stop.abort();
  });
});

describe('run totals', () => {
  const report = (r: Partial<ScenarioReport>): ScenarioReport => ({ id: 'x', title: 'x', expected: 'x', outcome: 'pass', reactionSeen: true, reaction: 'x', durationMillis: 1, log: [], ...r });
  const counts = (sent: number, failed: number) => {
    const method = { sent, ok: sent - failed, failed, retried: 1, byRegion: {}, failures: {} };
    return { sent, ok: sent - failed, failed, retried: 1, byMethod: { GET: method, POST: { ...method, sent: 0, ok: 0, failed: 0, retried: 0 } } };
  };

  it('sums sessions, acknowledged writes, client requests and losses; the rate is requests over the seconds the clients ran', () => {
    const totals = runTotals([
      report({ lost: 0, checked: 700, volume: { sessions: 600, writes: 100, clientSeconds: 2 }, clients: counts(400, 1) }),
      report({ lost: 0, checked: 300, volume: { sessions: 60, writes: 240, clientSeconds: 0 }, clients: { notApplicable: 'netns' } }),
      report({ lost: 0, checked: 7, clients: { notApplicable: 'no regions' } }),
      report({ lost: 2, checked: 50, volume: { sessions: 24, writes: 26, clientSeconds: 3 }, clients: counts(600, 0) }),
    ]);
    expect(totals).toEqual({ sessions: 684, writes: 366, clients: { sent: 1_000, failed: 1, retried: 2, seconds: 5, achievedPerSecond: 200 }, lost: 2 });
  });
});
