import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchMachine as machine } from '@meridian/testkit';
import type { ScenarioReport } from './scenario.js';

/** The table the runner prints: one line per scenario. */
export function formatTable(reports: ScenarioReport[]): string {
  const rows = [
    ['#', 'scenario', 'outcome', 'expected reaction seen', 'react ms', 'lost', 'took ms'],
    ...reports.map((r, i) => [
      String(i + 1),
      r.title,
      r.outcome,
      r.outcome === 'not-run' ? r.reaction : `${r.reactionSeen ? 'yes' : 'NO'}: ${r.reaction}`,
      r.timeToReactMillis === undefined ? '-' : String(r.timeToReactMillis),
      r.lost === undefined ? '-' : `${r.lost} / ${r.checked}`,
      r.outcome === 'not-run' ? '-' : String(r.durationMillis),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]): string => row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.slice(1).map(line)].join('\n');
}

/** Writes `scripts/chaos/results/chaos.json` with the machine it ran on; returns the path. */
export function writeResults(reports: ScenarioReport[], totalMillis: number): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}chaos.json`;
  const summary = {
    passed: reports.filter((r) => r.outcome === 'pass').length,
    failed: reports.filter((r) => r.outcome === 'fail').length,
    notRun: reports.filter((r) => r.outcome === 'not-run').length,
    lost: reports.reduce((n, r) => n + (r.lost ?? 0), 0),
    totalMillis,
  };
  writeFileSync(path, `${JSON.stringify({ suite: 'chaos', machine: machine(), summary, scenarios: reports }, null, 2)}\n`);
  return path;
}
