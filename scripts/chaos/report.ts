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

/** Writes `scripts/chaos/results/chaos.json` with the machine it ran on and the client rate; returns the path. */
export function writeResults(reports: ScenarioReport[], totalMillis: number, clientRatePerSecond: number): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}chaos.json`;
  const summary = {
    passed: reports.filter((r) => r.outcome === 'pass').length,
    failed: reports.filter((r) => r.outcome === 'fail').length,
    notRun: reports.filter((r) => r.outcome === 'not-run').length,
    lost: reports.reduce((n, r) => n + (r.lost ?? 0), 0),
    clients: { ratePerSecond: clientRatePerSecond, ...clientTotals(reports) },
    totalMillis,
  };
  writeFileSync(path, `${JSON.stringify({ suite: 'chaos', machine: machine(), summary, scenarios: reports }, null, 2)}\n`);
  return path;
}

/** Client requests over the scenarios that measured them. */
function clientTotals(reports: ScenarioReport[]): { sent: number; failed: number; retried: number } {
  const totals = { sent: 0, failed: 0, retried: 0 };
  for (const { clients } of reports) {
    if (!clients || 'notApplicable' in clients) continue;
    totals.sent += clients.sent;
    totals.failed += clients.failed;
    totals.retried += clients.retried;
  }
  return totals;
}
