// Reads vitest's JSON report and prints the plain closing line CI looks for
// ("N passed, N failed, N skipped"). Fails when any test failed or was skipped:
// a skipped test must never pass CI silently.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.test-results/vitest.json';
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (skipped > 0) {
  for (const suite of report.testResults ?? []) {
    for (const test of suite.assertionResults ?? []) {
      if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') console.log(`skipped: ${suite.name} > ${test.fullName}`);
    }
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || skipped > 0 || passed === 0 ? 1 : 0);
