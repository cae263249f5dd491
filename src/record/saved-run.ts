// A saved run: everything `pair` knew when it classified (the plan, both
// sides' host facts, every sighting and ICMP error, what could not be sent),
// plus the options and timing it ran with. `vxprobe explain` turns it back
// into the very report `pair` printed, offline, with the current rules
// (docs/record-replay.md).
import { classify } from '../diagnose/classify.js';
import type { PairReport, RunRecord } from '../diagnose/types.js';
import { DEFAULT_CONTROL_PORT } from '../pair/control/limits.js';
import { vxprobeVersion } from '../version.js';

/** Marks a file as a vxprobe run record (not a `pair --json` report, not anything else). */
export const RUN_FORMAT = 'vxprobe-run';
/**
 * Bump whenever RunRecord or HostFacts change shape: a record is read only by
 * a vxprobe that knows its exact layout, so an old or new one is refused with
 * its version named instead of being half-understood.
 */
export const RUN_FORMAT_VERSION = 1;

/** The options `pair` ran with, as given (so a replay can say how the run was made). */
export interface RunOptions {
  /** The peer exactly as given to `pair` (address or name). */
  peer: string;
  iface: string | null;
  ports: number[];
  baselinePort: number;
  vni: number | null;
  timeoutMs: number;
  controlPort: number;
  controlHost: string | null;
  name: string | null;
}

export interface RunTiming {
  /** When `pair` started, ISO 8601. */
  startedAt: string;
  /** Start to classification, ms. */
  durationMs: number;
}

export interface SavedRun {
  format: typeof RUN_FORMAT;
  formatVersion: typeof RUN_FORMAT_VERSION;
  /** The vxprobe that made the record (for bug reports; not used to classify). */
  vxprobeVersion: string;
  options: RunOptions;
  timing: RunTiming;
  record: RunRecord;
}

/**
 * The report of a saved run: a pure function of the record, so a live run and
 * its replay print the same table and the same JSON.
 */
export function reportFromRun(run: SavedRun): PairReport {
  const { record, options, timing } = run;
  const results = classify(record);
  return {
    version: 1,
    peer: options.peer,
    nodes: { local: { name: record.local.hostname, ip: record.localIp }, peer: { name: record.peer.hostname, ip: record.peerIp } },
    ports: record.plan.ports,
    baselinePort: record.plan.baselinePort,
    runId: record.plan.runId,
    startedAt: timing.startedAt,
    durationMs: timing.durationMs,
    results,
    ok: results.every((r) => r.verdict === 'ok'),
  };
}

/** The report of a record made now (library entry kept for callers that build RunRecords themselves). */
export function toReport(peerArg: string, record: RunRecord, started: number): PairReport {
  const p = record.plan;
  const options = { peer: peerArg, iface: null, ports: p.ports, baselinePort: p.baselinePort, vni: null, timeoutMs: 0, controlPort: DEFAULT_CONTROL_PORT, controlHost: null, name: null };
  const timing = { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started };
  return reportFromRun({ format: RUN_FORMAT, formatVersion: RUN_FORMAT_VERSION, vxprobeVersion: vxprobeVersion(), options, timing, record });
}

