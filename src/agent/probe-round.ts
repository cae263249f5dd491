// One probe round with one peer: the library's pair() (never a copy of it),
// its report turned into per-cell observations, and its raw record into frame
// and round-trip counts for the metrics (docs/agent.md, "Metrics").
import type { PairReport, RunRecord } from '../diagnose/types.js';
import type { PairOptions } from '../pair/initiator.js';
import type { Direction } from '../pair/plan-types.js';
import type { CellVerdict, Observation } from './state.js';
import { DIRECTIONS } from './state.js';

export type PairFn = (opts: PairOptions) => Promise<PairReport>;

export interface CellObservation {
  port: number;
  direction: Direction;
  obs: Observation;
}

export interface FrameCount {
  port: number;
  direction: Direction;
  sent: number;
  lost: number;
}

export interface RoundResult {
  /** The peer's listener is serving someone else: retry later, record nothing. */
  busy: boolean;
  cells: CellObservation[];
  frames: FrameCount[];
  /** VTEP echo round trips, seconds, per port. */
  rtts: { port: number; seconds: number }[];
}

/** A rejected handshake because another session holds the peer's listener. */
export function isBusy(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /\bbusy\b/i.test(msg);
}

export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Frames sent and lost, and VTEP echo RTTs, from a run's sightings. */
export function frameStats(record: RunRecord): { frames: FrameCount[]; rtts: { port: number; seconds: number }[] } {
  const probes = new Map(record.plan.probes.map((p) => [p.probeId, p]));
  const sentAt = new Map<string, number>();
  const arrived = new Set<string>();
  const replyAt = new Map<string, number>();
  for (const s of record.sightings) {
    const key = `${s.probeId}/${s.seq}`;
    if (s.at === 'sender' && s.dir === 'out' && s.inner !== 'echo-reply') sentAt.set(key, Math.min(sentAt.get(key) ?? Infinity, s.time));
    else if (s.at === 'receiver' && s.dir === 'in' && s.inner !== 'echo-reply') arrived.add(key);
    else if (s.at === 'sender' && s.dir === 'in' && s.inner === 'echo-reply') replyAt.set(key, Math.min(replyAt.get(key) ?? Infinity, s.time));
  }
  const counts = new Map<string, FrameCount>();
  for (const port of record.plan.ports) {
    for (const direction of DIRECTIONS) counts.set(`${port}/${direction}`, { port, direction, sent: 0, lost: 0 });
  }
  const rtts: { port: number; seconds: number }[] = [];
  for (const [key, at] of sentAt) {
    const probe = probes.get(Number(key.split('/')[0]));
    if (!probe) continue;
    const c = counts.get(`${probe.port}/${probe.direction}`);
    if (!c) continue; // baseline probes: not one of the probed ports
    c.sent++;
    if (!arrived.has(key)) c.lost++;
    const back = replyAt.get(key);
    if (back !== undefined && back >= at && probe.direction === 'forward') rtts.push({ port: probe.port, seconds: (back - at) / 1000 });
  }
  return { frames: [...counts.values()], rtts };
}

/** Runs pair() against one peer and turns the outcome into observations. Never throws. */
export async function probeRound(pairFn: PairFn, opts: PairOptions, ports: number[], now: () => number = Date.now): Promise<RoundResult> {
  let record: RunRecord | null = null;
  let report: PairReport;
  try {
    report = await pairFn({ ...opts, onRecord: (run) => (record = run.record) });
  } catch (err) {
    if (isBusy(err)) return { busy: true, cells: [], frames: [], rtts: [] };
    const at = now();
    const evidence = [{ kind: 'control-failed', message: `no probe result: ${oneLine(err)}` }];
    const remedy = `check that vxprobe agent runs on ${opts.peer} with the same secret and that TCP ${opts.controlPort ?? 7473} reaches it`;
    const cells = ports.flatMap((port) =>
      DIRECTIONS.map((direction) => ({ port, direction, obs: { verdict: 'unknown' as CellVerdict, evidence, remedy, at } })),
    );
    return { busy: false, cells, frames: [], rtts: [] };
  }
  const at = now();
  const cells = report.results.map((r) => ({
    port: r.port,
    direction: r.direction,
    obs: { verdict: r.verdict as CellVerdict, evidence: r.evidence, remedy: r.remedy, at },
  }));
  const stats = record ? frameStats(record) : { frames: [], rtts: [] };
  return { busy: false, cells, ...stats };
}

/**
 * A watch round, for a pair whose cells all show a stable ok: the size sweep
 * is cut to the MTU-sized frame (buildPlan's sizes 'mtu'), which is what an
 * idle agent spends most of its CPU on. If any cell comes out other than ok,
 * the full plan runs at once and its result is the round's, so every problem
 * the agent shows comes from a full matrix (docs/agent.md, "Watch rounds").
 * A control failure is not re-run (it would only fail twice as slowly).
 */
export async function watchRound(pairFn: PairFn, opts: PairOptions, ports: number[], now: () => number = Date.now): Promise<RoundResult & { escalated: boolean }> {
  const watch = await probeRound(pairFn, { ...opts, sizes: 'mtu' }, ports, now);
  if (watch.busy || watch.cells.every((c) => c.obs.verdict === 'ok' || c.obs.verdict === 'unknown')) return { ...watch, escalated: false };
  const full = await probeRound(pairFn, { ...opts, sizes: 'sweep' }, ports, now);
  // The listener took another session in between: retry the whole round soon, record nothing now.
  if (full.busy) return { ...full, escalated: true };
  return { ...full, frames: [...watch.frames, ...full.frames], rtts: [...watch.rtts, ...full.rtts], escalated: true };
}

