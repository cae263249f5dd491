// How `pair` and `explain` print a report: the same bytes for the same
// report, so a replayed run reads exactly like the live one.
import type { PairReport } from '../diagnose/types.js';
import { renderEvidence, renderTable } from '../report/table.js';

export interface PairOutputOptions {
  json?: boolean;
  verbose?: boolean;
}

/** Prints the report and sets the exit code: 0 all ok, 1 a fault was found. */
export function printPairReport(report: PairReport, o: PairOutputOptions): void {
  if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    process.stdout.write(renderTable(report, { color: process.stdout.isTTY }));
    if (o.verbose) process.stdout.write('\nEvidence:\n' + renderEvidence(report.results));
  }
  process.exitCode = report.ok ? 0 : 1;
}
