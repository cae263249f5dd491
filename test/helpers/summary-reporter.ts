// Ends every run with one plain line, "tests: N passed, N failed, N skipped",
// that any CI can read without knowing vitest's own summary format.
import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

function count(tasks: TaskLike[], acc = { passed: 0, failed: 0, skipped: 0 }) {
  for (const t of tasks) {
    if (t.tasks) count(t.tasks, acc);
    if (t.type !== 'test') continue;
    const state = t.result?.state;
    if (state === 'pass') acc.passed++;
    else if (state === 'fail') acc.failed++;
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
