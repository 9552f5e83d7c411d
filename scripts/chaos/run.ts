// `pnpm chaos`: every chaos scenario, one after the other, each within its own
// deadline; prints the table and the run's totals, writes results/chaos.json,
// exits 1 on any failure. `pnpm chaos region-kill clock-skew` runs only those;
// `--verbose` prints details; `--client-rate=200` sends 200 client requests/s
// through the front door (default 50); `--scale 10` runs 10× the volume (see
// scale.ts) and writes results/chaos-scale-10.json.
import { ChaosArgsError, parseChaosArgs, type ChaosArgs } from './args.js';
import { formatTable, formatTotals, writeResults } from './report.js';
import { writersFor } from './scale.js';
import { runScenario } from './run-scenario.js';
import type { ScenarioReport } from './scenario.js';
import { CHAOS_SCENARIOS } from './scenarios.js';

let args: ChaosArgs;
try {
  args = parseChaosArgs(process.argv.slice(2), CHAOS_SCENARIOS.map((s) => s.id));
} catch (error) {
  if (!(error instanceof ChaosArgsError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const { only, verbose, scale, clientRatePerSecond } = args;
const selected = only.length > 0 ? CHAOS_SCENARIOS.filter((s) => only.includes(s.id)) : CHAOS_SCENARIOS;
if (scale > 1) console.log(`[chaos] scale ${scale}: ${scale}× the sessions, ${writersFor(scale)} writers, ${clientRatePerSecond} client requests/s`);

const started = performance.now();
const reports: ScenarioReport[] = [];
for (const scenario of selected) {
  const report = await runScenario(scenario, { clientRatePerSecond, scale });
  reports.push(report);
  const took = report.outcome === 'not-run' ? 'not run' : `${report.durationMillis} ms`;
  console.log(`[chaos] ${report.outcome.padEnd(7)} ${scenario.id} (${took})${report.error ? `: ${report.error}` : ''}`);
  if (verbose || report.outcome === 'fail') for (const line of report.log) console.log(`        ${line}`);
}
const totalMillis = Math.round(performance.now() - started);
console.log(`\n${formatTable(reports)}\n`);
console.log(`[chaos] totals: ${formatTotals(reports)}`);
// The committed results are the whole suite's: a run of some scenarios does not overwrite them.
const path = only.length === 0 ? writeResults(reports, { totalMillis, clientRatePerSecond, scale }) : 'results not written (a subset ran)';
const failed = reports.filter((r) => r.outcome === 'fail').length;
console.log(`[chaos] ${reports.length - failed - reports.filter((r) => r.outcome === 'not-run').length} passed, ${failed} failed, ${reports.filter((r) => r.outcome === 'not-run').length} not run in ${(totalMillis / 1000).toFixed(1)} s; ${path}`);
process.exit(failed > 0 ? 1 : 0);
