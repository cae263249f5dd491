// Record-and-replay check for lab runs: `pair --record FILE` during the live
// run, then `vxprobe explain FILE` offline must print the live report exactly.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VXPROBE_BIN } from '../../../src/lab/pair-probe.js';
import type { PairReport } from '../../../src/diagnose/types.js';
import { renderTable } from '../../../src/report/table.js';

export class RecordDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'vxp-records-'));
  /** `pair` arguments that record the run of `scenario`. */
  args(scenario: string): string[] {
    return ['--record', this.path(scenario)];
  }
  path(scenario: string): string {
    return join(this.dir, `${scenario}.json`);
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Replay {
  status: number | null;
  stderr: string;
  json: string;
  table: string;
}

/** `explain FILE --json` and `explain FILE`, in a plain process: no root, no namespace, no network needed. */
export function explainRecord(file: string): Replay {
  const run = (...args: string[]) => spawnSync(process.execPath, [VXPROBE_BIN, 'explain', file, ...args], { encoding: 'utf8', timeout: 30_000 });
  const json = run('--json');
  const table = run();
  return { status: json.status, stderr: json.stderr + table.stderr, json: json.stdout, table: table.stdout };
}

/** What the live `pair --json` printed and what the live table would have been. */
export function liveOutputs(report: PairReport): { json: string; table: string } {
  return { json: JSON.stringify(report, null, 2) + '\n', table: renderTable(report) };
}
