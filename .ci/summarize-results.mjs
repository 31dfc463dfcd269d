// Sums vitest's JSON reports over every package into the one line CI reads: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
// Suites that skip when a service is not configured name the reason in their title ("skipped: set
// KB_TEST_PG_URL …"). CI configures every service, so such a skip here means a dialect went untested.
const unexpectedSkips = [];
// Each failed test with the start of its message, printed last: CI keeps the tail of the log, and the
// failure itself may have scrolled far above it among thousands of lines of other packages.
const failures = [];
for (const root of ['packages', 'apps', 'examples']) {
  if (!existsSync(root)) continue;
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!pkg.scripts?.test) continue;
    const file = join(dir, 'test-results.json');
    if (!existsSync(file)) {
      missing.push(pkg.name);
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8'));
    for (const suite of report.testResults ?? []) {
      for (const test of suite.assertionResults ?? []) {
        const title = [...(test.ancestorTitles ?? []), test.title].join(' > ');
        if (test.status !== 'passed' && test.status !== 'failed' && /skipped: set KB_/.test(title))
          unexpectedSkips.push(`${pkg.name}: ${title}`);
        if (test.status === 'failed') {
          const message = (test.failureMessages ?? []).join(' | ').replace(/\s+/g, ' ').slice(0, 400);
          failures.push(`${pkg.name}: ${suite.name.replace(`${process.cwd()}/`, '')} > ${title}: ${message}`);
        }
      }
      if (suite.status === 'failed' && (suite.assertionResults ?? []).every((t) => t.status !== 'failed'))
        failures.push(
          `${pkg.name}: ${suite.name.replace(`${process.cwd()}/`, '')}: ${String(suite.message ?? '')
            .replace(/\s+/g, ' ')
            .slice(0, 400)}`,
        );
    }
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    console.log(
      `${pkg.name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests ?? 0} skipped`,
    );
  }
}
for (const name of missing) console.log(`${name}: no test report (its tests did not run)`);
// A package whose tests never ran counts as a failure: a silent gap must not read as green.
failed += missing.length;
for (const title of unexpectedSkips) console.log(`skipped although CI provides its service: ${title}`);
failed += unexpectedSkips.length;
for (const failure of failures) console.log(`FAILED ${failure}`);
if (skipped > 0) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
