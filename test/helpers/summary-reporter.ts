// Ends every run with one plain line, "tests: N passed, N failed, N skipped",
// that any CI can read without knowing vitest's own summary format.
import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string; errors?: unknown[] };
  tasks?: TaskLike[];
}

/**
 * A test that never ran because its suite failed (a beforeAll that threw:
 * the lab could not be built, an image did not build) is a failure, not a
 * skip: "0 failed" must mean everything that should have run did.
 */
function count(tasks: TaskLike[], acc = { passed: 0, failed: 0, skipped: 0 }, suiteFailed = false) {
  for (const t of tasks) {
    // A suite's own errors are its hooks' (a failing test leaves them empty).
    const failedHere = suiteFailed || (t.type !== 'test' && t.result?.state === 'fail' && (t.result.errors?.length ?? 0) > 0);
    if (t.tasks) count(t.tasks, acc, failedHere);
    if (t.type !== 'test') continue;
    const state = t.result?.state;
    if (state === 'pass') acc.passed++;
    else if (state === 'fail') acc.failed++;
    else if (failedHere) acc.failed++;
    else acc.skipped++;
  }
  return acc;
}

// vitest loads a reporter given by path through its default export.
export default class SummaryReporter implements Reporter {
  onFinished(files: TaskLike[] = [], errors: unknown[] = []): void {
    const c = count(files);
    // An error outside any test (a file that failed to load) is a failure too.
    const failed = c.failed + errors.length + files.filter((f) => f.result?.state === 'fail' && !f.tasks?.length).length;
    process.stdout.write(`\ntests: ${c.passed} passed, ${failed} failed, ${c.skipped} skipped\n`);
  }
}
