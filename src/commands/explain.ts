// `vxprobe explain RUN.json`: re-classifies a run recorded with
// `pair --record` offline, with this vxprobe's rules, and prints the report
// `pair` would print (docs/record-replay.md). Needs no root and no network.
import { Command } from 'commander';
import { readRunFile } from '../record/run-file.js';
import { reportFromRun } from '../record/saved-run.js';
import { printPairReport } from './pair-output.js';

export function registerExplain(program: Command): void {
  program.addCommand(
    new Command('explain')
      .description('re-classify a run recorded with `pair --record FILE` and print its report (offline)')
      .argument('<record>', 'the run record file')
      .option('--json', 'print one JSON document (as `pair --json`)')
      .option('-v, --verbose', 'print the evidence behind every verdict')
      .action((file: string, o: { json?: boolean; verbose?: boolean }) => {
        printPairReport(reportFromRun(readRunFile(file)), o);
      }),
  );
}
