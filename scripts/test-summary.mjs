// Reads vitest's JSON report and prints the plain closing line CI looks for
// ("N passed, N failed, N skipped"). Fails when any test failed or was skipped:
// a skipped test must never pass CI silently. A whole file skipped for a
// missing program (skipUnless in @meridian/testkit) counts each of its tests as
// skipped, and is listed with the reason and the command that enables it.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2] ?? '.test-results/vitest.json';
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
const isSkipped = (test) => test.status === 'pending' || test.status === 'skipped' || test.status === 'todo';
let skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
let listed = 0;
for (const suite of report.testResults ?? []) {
  const groups = new Map();
  for (const test of (suite.assertionResults ?? []).filter(isSkipped)) {
    const why = test.meta?.skippedFor;
    const key = why ? why.reason : `(no reason recorded) ${test.fullName}`;
    groups.set(key, { why, count: (groups.get(key)?.count ?? 0) + 1 });
  }
  for (const [key, { why, count }] of groups) {
    listed += count;
    const where = relative(process.cwd(), suite.name);
    console.log(why ? `skipped: ${where} (${count} tests): ${why.reason}; enable: ${why.enable}` : `skipped: ${where} > ${key}`);
  }
}
// The counters and the list come from the same report; trust the larger if they ever disagree.
skipped = Math.max(skipped, listed);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || skipped > 0 || passed === 0 ? 1 : 0);
