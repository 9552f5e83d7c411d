import type { FailoverReport, HealthMonitor } from '@meridian/core';
import { waitForEvent } from '@meridian/testkit';
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

  await drill.prepare?.(lab);
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
  const failedBack = drill.failback ? waitForEvent(manager, 'failover:completed', { filter: (r) => r.kind === 'failback', timeoutMillis: 15_000 }) : undefined;
  failedBack?.catch(() => undefined);
  await drill.heal(lab);
  if (failedBack) {
    const back = await failedBack;
    ctx.log(`failback → ${back.to} (${back.reason})`);
    check(lab.provider.traffic()[PRIMARY] === 100, `traffic not back on ${PRIMARY}: ${JSON.stringify(lab.provider.traffic())}`);
    reaction += `, failback after heal`;
  }
  const { lost, checked, clients } = await lab.nothingLost();
  return { reactionSeen: true, reaction, timeToReactMillis, lost, checked, clients };
}
