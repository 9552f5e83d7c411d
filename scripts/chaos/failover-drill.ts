import type { FailoverReport, HealthMonitor } from '@meridian/core';
import { createLocalSessionAdapter } from '@meridian/providers-local';
import { autoEvacuate, MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { waitForEvent } from '@meridian/testkit';
import { randomBytes } from 'node:crypto';
import { startLab, type Lab, type LabOptions } from './lab.js';
import { check, type ScenarioContext, type ScenarioOutcome } from './scenario.js';

/** One fault on the primary and the failover it must cause. */
export interface FailoverDrill {
  /** Lab settings (netns, sessions ...). */
  lab?: LabOptions;
  /** Endpoints the control plane probes instead of the regions' own (a proxy in front of one). */
  probeVia?: (lab: Lab, ctx: ScenarioContext) => Promise<Record<string, string>>;
  /** Runs before the clock starts (e.g. let replication settle before a kill). */
  prepare?: (lab: Lab) => Promise<void>;
  /** Injects the fault on the primary. */
  inject: (lab: Lab) => Promise<void>;
  /** Removes it (restores a killed region). */
  heal: (lab: Lab) => Promise<void>;
  /** Also wait for the automatic failback once healed. */
  failback: boolean;
  /**
   * Sessions are checkpointed (every `checkpointIntervalMillis`) and `autoEvacuate`
   * recovers the primary's from their checkpoints when it goes unhealthy, and
   * reconciles it when it comes back; the scenario waits for both.
   */
  recoverSessions?: { checkpointIntervalMillis: number };
}

const PRIMARY = 'us-east';
const SECONDARY = 'eu-west';

/** Waits until every region has been probed healthy (bounded). */
export async function allHealthy(monitor: HealthMonitor, ids: string[], signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 200 && !signal.aborted; i++) {
    if (ids.every((id) => monitor.get(id).state === 'healthy')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`regions not all healthy after 10 s: ${ids.map((id) => `${id}=${monitor.get(id).state}`).join(', ')}`);
}

/**
 * The failover scenarios' common course: regions healthy and serving from the
 * primary with writes flowing; fault; automatic failover to the secondary
 * (timed from the fault to traffic shifted); heal; failback if asked; then
 * nothing lost.
 */
export async function runFailoverDrill(ctx: ScenarioContext, drill: FailoverDrill): Promise<ScenarioOutcome> {
  const lab = await startLab(ctx, drill.lab);
  const monitor = lab.monitor({ endpoints: drill.probeVia ? await drill.probeVia(lab, ctx) : {} });
  const manager = await lab.manager(monitor);
  monitor.start();
  await allHealthy(monitor, lab.ids, ctx.signal);
  check(lab.provider.traffic()[PRIMARY] === 100, `traffic should start on ${PRIMARY}: ${JSON.stringify(lab.provider.traffic())}`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // writes land on the primary and replicate

  const sessions = drill.recoverSessions ? await startSessionRecovery(ctx, lab, monitor, drill.recoverSessions.checkpointIntervalMillis) : undefined;
  await drill.prepare?.(lab);
  const recovered = sessions ? waitForEvent(sessions.migrator, 'region:recovered', { filter: (e) => e.regionId === PRIMARY, timeoutMillis: 15_000 }) : undefined;
  recovered?.catch(() => undefined);
  const failedOver = waitForEvent(manager, 'failover:completed', { filter: (r) => r.kind === 'automatic', timeoutMillis: 10_000 });
  const started = performance.now();
  await drill.inject(lab);
  const report: FailoverReport = await failedOver;
  const timeToReactMillis = Math.round(performance.now() - started);
  ctx.log(`failover ${report.from.join(',')} → ${report.to} (${report.reason}) after ${timeToReactMillis} ms`);
  check(report.to === SECONDARY, `failed over to ${report.to}, expected ${SECONDARY}`);
  check(lab.provider.traffic()[SECONDARY] === 100, `traffic not on ${SECONDARY}: ${JSON.stringify(lab.provider.traffic())}`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // writes continue in the secondary

  let reaction = `failover ${PRIMARY}→${SECONDARY}`;
  if (recovered) {
    const r = await recovered;
    ctx.log(`sessions of ${PRIMARY}: ${r.recovered} recovered from checkpoints in ${r.durationMillis} ms, max staleness ${r.maxStalenessMillis} ms, ${r.lost} lost, ${r.failed} failed`);
    check(r.lost === 0 && r.failed === 0, `sessions of ${PRIMARY} not all recovered: ${r.lost} lost, ${r.failed} failed`);
    reaction += `, ${r.recovered} sessions recovered (max staleness ${r.maxStalenessMillis} ms, ${r.lost} lost)`;
  }
  const reconciled = sessions ? waitForEvent(sessions.migrator, 'region:reconciled', { filter: (e) => e.regionId === PRIMARY, timeoutMillis: 15_000 }) : undefined;
  reconciled?.catch(() => undefined);
  const failedBack = drill.failback ? waitForEvent(manager, 'failover:completed', { filter: (r) => r.kind === 'failback', timeoutMillis: 15_000 }) : undefined;
  failedBack?.catch(() => undefined);
  await drill.heal(lab);
  if (failedBack) {
    const back = await failedBack;
    ctx.log(`failback → ${back.to} (${back.reason})`);
    check(lab.provider.traffic()[PRIMARY] === 100, `traffic not back on ${PRIMARY}: ${JSON.stringify(lab.provider.traffic())}`);
    reaction += `, failback after heal`;
  }
  if (reconciled) {
    const r = await reconciled;
    ctx.log(`${PRIMARY} came back: ${r.discarded} stale session copies discarded, ${r.reactivated} reactivated, ${r.failed} failed`);
    reaction += `, ${r.discarded} stale copies discarded on return`;
  }
  const { lost, checked, clients, volume } = await lab.nothingLost();
  return { reactionSeen: true, reaction, timeToReactMillis, lost, checked, clients, volume };
}

/**
 * The lab's sessions under a migrator, checkpointed every interval, and
 * `autoEvacuate` on the monitor: an unhealthy region's sessions are recovered in
 * the secondary from their checkpoints, a region back from the dead reconciled.
 */
async function startSessionRecovery(ctx: ScenarioContext, lab: Lab, monitor: HealthMonitor, checkpointIntervalMillis: number) {
  const adapter = createLocalSessionAdapter(lab.provider);
  const codec = new SnapshotCodec({ keys: [{ id: 'chaos', key: randomBytes(32) }] });
  const store = new MemorySnapshotStore();
  const migrator = new SessionMigrator({ adapter, codec, store, regions: lab.ids });
  for (const s of lab.sessions) migrator.register({ id: s.id, region: s.region });
  const checkpointer = new SessionCheckpointer({ adapter, codec, store, source: migrator, checkpointIntervalMillis });
  const first = await checkpointer.checkpointNow();
  check(first.written === lab.sessions.length, `first checkpoint round wrote ${first.written} of ${lab.sessions.length} sessions`);
  await checkpointer.start();
  const wiring = autoEvacuate({ migrator, monitor, to: SECONDARY, onDegraded: 'ignore' });
  migrator.on('session:lost', (e) => ctx.log(`session ${e.sessionId} lost: ${e.reason} (${e.error})`));
  ctx.defer(async () => {
    await wiring.close();
    await checkpointer.close();
    await migrator.close();
  });
  return { migrator, checkpointer };
}
