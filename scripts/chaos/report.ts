import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchMachine as machine } from '@meridian/testkit';
import type { ClientCounts } from './client-traffic.js';
import type { ClientOutcome, ScenarioReport } from './scenario.js';

/** A client-count cell: `n/a` without a data plane, `-` when not measured. */
function clientCell(clients: ClientOutcome | undefined, pick: (c: ClientCounts) => string): string {
  if (clients === undefined) return '-';
  return 'notApplicable' in clients ? 'n/a' : pick(clients);
}

/** The table the runner prints: one line per scenario. */
export function formatTable(reports: ScenarioReport[]): string {
  const rows = [
    ['#', 'scenario', 'outcome', 'expected reaction seen', 'react ms', 'lost', 'client req', 'req failed', 'req retried', 'took ms'],
    ...reports.map((r, i) => [
      String(i + 1),
      r.title,
      r.outcome,
      r.outcome === 'not-run' ? r.reaction : `${r.reactionSeen ? 'yes' : 'NO'}: ${r.reaction}`,
      r.timeToReactMillis === undefined ? '-' : String(r.timeToReactMillis),
      r.lost === undefined ? '-' : `${r.lost} / ${r.checked}`,
      clientCell(r.clients, (c) => String(c.sent)),
      clientCell(r.clients, (c) => (c.failed === 0 ? '0' : `${c.failed} (GET ${c.byMethod.GET.failed}, POST ${c.byMethod.POST.failed})`)),
      clientCell(r.clients, (c) => String(c.retried)),
      r.outcome === 'not-run' ? '-' : String(r.durationMillis),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]): string => row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.slice(1).map(line)].join('\n');
}

/** The run as a whole: what its labs carried and what was lost, summed over the scenarios. */
export interface RunTotals {
  /** Sessions placed, each counted in the regions at the end. */
  sessions: number;
  /** Writes the regions acknowledged, each looked for in every region at the end. */
  writes: number;
  /** Client requests answered or failed, and the rate achieved over the seconds they ran. */
  clients: { sent: number; failed: number; retried: number; seconds: number; achievedPerSecond: number };
  lost: number;
}

/** Sums the scenarios' volumes, client counts and losses. */
export function runTotals(reports: ScenarioReport[]): RunTotals {
  const totals = { sessions: 0, writes: 0, clients: { sent: 0, failed: 0, retried: 0, seconds: 0, achievedPerSecond: 0 }, lost: 0 };
  for (const { volume, clients, lost } of reports) {
    totals.lost += lost ?? 0;
    if (volume) {
      totals.sessions += volume.sessions;
      totals.writes += volume.writes;
      totals.clients.seconds += volume.clientSeconds;
    }
    if (!clients || 'notApplicable' in clients) continue;
    totals.clients.sent += clients.sent;
    totals.clients.failed += clients.failed;
    totals.clients.retried += clients.retried;
  }
  totals.clients.seconds = Math.round(totals.clients.seconds * 10) / 10;
  totals.clients.achievedPerSecond = totals.clients.seconds > 0 ? Math.round(totals.clients.sent / totals.clients.seconds) : 0;
  return totals;
}

/** The totals line the runner prints last. */
export function formatTotals(reports: ScenarioReport[]): string {
  const t = runTotals(reports);
  const c = t.clients;
  return `${t.sessions} sessions placed, ${t.writes} writes acknowledged, client requests ${c.sent} sent / ${c.failed} failed (${c.achievedPerSecond} req/s over ${c.seconds} s), ${t.lost} lost`;
}

/** The results file of a run at `scale`: chaos.json at the default scale, chaos-scale-N.json otherwise. */
export function resultsFileName(scale: number): string {
  return scale === 1 ? 'chaos.json' : `chaos-scale-${scale}.json`;
}

/** Writes `scripts/chaos/results/` {@link resultsFileName} with the machine it ran on, the scale and client rate asked for, and the totals; returns the path. */
export function writeResults(reports: ScenarioReport[], run: { totalMillis: number; clientRatePerSecond: number; scale: number }): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}${resultsFileName(run.scale)}`;
  const { clients, ...totals } = runTotals(reports);
  const summary = {
    scale: run.scale,
    passed: reports.filter((r) => r.outcome === 'pass').length,
    failed: reports.filter((r) => r.outcome === 'fail').length,
    notRun: reports.filter((r) => r.outcome === 'not-run').length,
    ...totals,
    clients: { ratePerSecond: run.clientRatePerSecond, ...clients },
    totalMillis: run.totalMillis,
  };
  writeFileSync(path, `${JSON.stringify({ suite: 'chaos', machine: machine(), summary, scenarios: reports }, null, 2)}\n`);
  return path;
}
