// A vitest reporter (listed in vitest.config.ts after `default`): ends the
// run's output with the suites that were skipped, each with why and the
// command that enables it, so a skip on a developer's machine is never silent.
// CI fails on any skipped test (scripts/test-summary.mjs).
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import type { SkippedFor, SkippedMeta } from './system-requirement.js';

/** One line of the list: a test file and why (some of) its tests were skipped. */
export interface SkippedSuite {
  /** The test file, relative to the root. */
  file: string;
  /** How many of its tests were skipped for this reason. */
  tests: number;
  /** Why and how to enable it; undefined for a skip without a recorded reason (`it.skip`, `describe.skipIf`). */
  skippedFor: SkippedFor | undefined;
}

/** The skipped tests of `modules`, grouped per file and reason. */
export function skippedSuites(modules: ReadonlyArray<TestModule>, root: string): SkippedSuite[] {
  const out = new Map<string, SkippedSuite>();
  for (const module of modules) {
    const file = module.moduleId.startsWith(`${root}/`) ? module.moduleId.slice(root.length + 1) : module.moduleId;
    for (const test of module.children.allTests()) {
      if (test.result().state !== 'skipped') continue;
      const skippedFor = (test.meta() as SkippedMeta).skippedFor;
      const key = `${file}\0${skippedFor?.reason ?? ''}`;
      const entry = out.get(key) ?? { file, tests: 0, skippedFor };
      entry.tests += 1;
      out.set(key, entry);
    }
  }
  return [...out.values()].sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * The closing list; empty when nothing was skipped. With `filtered` (a `-t`
 * name filter), tests skipped without a recorded reason are the filter's doing:
 * counted in one line instead of listed.
 */
export function formatSkippedSuites(all: readonly SkippedSuite[], filtered = false): string {
  const suites = filtered ? all.filter((s) => s.skippedFor) : all;
  const unlisted = all.filter((s) => !suites.includes(s)).reduce((n, s) => n + s.tests, 0);
  const tail = unlisted > 0 ? `${unlisted} test${unlisted === 1 ? '' : 's'} left out by the name filter (-t).\n` : '';
  if (suites.length === 0) return tail;
  const lines = [`Skipped suites (${suites.length}); CI installs what they need and fails on any skip:`];
  for (const suite of suites) {
    const tests = `${suite.tests} test${suite.tests === 1 ? '' : 's'}`;
    lines.push(
      suite.skippedFor
        ? `  - ${suite.file} (${tests}): ${suite.skippedFor.reason}\n      enable: ${suite.skippedFor.enable}`
        : `  - ${suite.file} (${tests}): skipped without a recorded reason (use skipUnless from @meridian/testkit)`,
    );
  }
  return `${lines.join('\n')}\n${tail}`;
}

/**
 * Prints {@link formatSkippedSuites} at the end of the run: when vitest closes
 * (after every reporter, the JSON one included, has written its output), or
 * right after each run in watch mode.
 */
export default class SkippedSuitesReporter implements Reporter {
  #root = process.cwd();
  #watch = false;
  #text = '';
  #vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.#root = vitest.config.root;
    this.#vitest = vitest;
    this.#watch = vitest.config.watch;
    vitest.onClose(() => this.#print());
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    this.#text = formatSkippedSuites(skippedSuites(modules, this.#root), this.#vitest?.config.testNamePattern !== undefined);
    if (this.#watch) this.#print();
  }

  #print(): void {
    if (this.#text) process.stdout.write(`\n${this.#text}`);
    this.#text = '';
  }
}
