// `pnpm chaos`: every chaos scenario, one after the other, each within its own
// deadline; prints the table, writes results/chaos.json, exits 1 on any failure.
// `pnpm chaos region-kill clock-skew` runs only those; `--verbose` prints details;
// `--client-rate=200` sends 200 client requests/s through the front door (default 50).
import { DEFAULT_CLIENT_RATE } from './client-traffic.js';
import { formatTable, writeResults } from './report.js';
import { runScenario } from './run-scenario.js';
import type { ScenarioReport } from './scenario.js';
import { CHAOS_SCENARIOS } from './scenarios.js';

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const rateArg = args.find((a) => a.startsWith('--client-rate='));
const clientRatePerSecond = rateArg === undefined ? undefined : Number(rateArg.slice('--client-rate='.length));
if (clientRatePerSecond !== undefined && !(clientRatePerSecond >= 1 && clientRatePerSecond <= 1_000)) {
  console.error(`--client-rate must be a number of requests per second from 1 to 1000, got ${rateArg}`);
  process.exit(2);
}
const only = args.filter((a) => !a.startsWith('--'));
const unknown = only.filter((id) => !CHAOS_SCENARIOS.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${CHAOS_SCENARIOS.map((s) => s.id).join(', ')}`);
  process.exit(2);
}
const selected = only.length > 0 ? CHAOS_SCENARIOS.filter((s) => only.includes(s.id)) : CHAOS_SCENARIOS;

const started = performance.now();
const reports: ScenarioReport[] = [];
for (const scenario of selected) {
  const report = await runScenario(scenario, { clientRatePerSecond });
  reports.push(report);
  const took = report.outcome === 'not-run' ? 'not run' : `${report.durationMillis} ms`;
  console.log(`[chaos] ${report.outcome.padEnd(7)} ${scenario.id} (${took})${report.error ? `: ${report.error}` : ''}`);
  if (verbose || report.outcome === 'fail') for (const line of report.log) console.log(`        ${line}`);
}
const totalMillis = Math.round(performance.now() - started);
console.log(`\n${formatTable(reports)}\n`);
// The committed results are the whole suite's: a run of some scenarios does not overwrite them.
const path = only.length === 0 ? writeResults(reports, totalMillis, clientRatePerSecond ?? DEFAULT_CLIENT_RATE) : 'results not written (a subset ran)';
const failed = reports.filter((r) => r.outcome === 'fail').length;
console.log(`[chaos] ${reports.length - failed - reports.filter((r) => r.outcome === 'not-run').length} passed, ${failed} failed, ${reports.filter((r) => r.outcome === 'not-run').length} not run in ${(totalMillis / 1000).toFixed(1)} s; ${path}`);
process.exit(failed > 0 ? 1 : 0);
