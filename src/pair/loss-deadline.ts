// When may a missing probe be called lost? Once frames of a run have arrived
// both ways, the path's round trip is measured from the run's own frames
// (kernel receive timestamps, so JS scheduling is not in it), and a missing
// probe is lost after a deadline derived from that round trip and its
// spread, with a floor and a cap, after a second try for the missing ones
// only (docs/performance.md). Before that, or when nothing came back one
// way, the fixed resend schedule decides.
import type { Sighting } from '../diagnose/types.js';
export type { LossDecision } from '../diagnose/types.js';
import type { Direction, ProbeSpec } from './plan-types.js';

/** Below this the deadline is noise of the capture path itself (ring block retire, polling). */
export const DEADLINE_FLOOR_MS = 12;
/** Never wait longer than this per try, however slow the path looked. */
export const DEADLINE_CAP_MS = 250;
/** Tries per probe before an adaptive deadline calls it lost (the first send and one resend). */
export const ADAPTIVE_TRIES = 2;

export interface RoundTrip {
  /** Median round trip, ms. */
  rttMs: number;
  /** How much it varied (max - min of each direction's one-way samples, summed), ms. */
  spreadMs: number;
  samples: number;
  /** 'one-way-pair': forward + reverse one-way delays (clock offsets cancel); 'vtep-echo': echo round trips. */
  source: 'one-way-pair' | 'vtep-echo';
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const range = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);

/**
 * One-way delays of a direction's requests: receiver's arrival minus the
 * sender's departure of the same probe and seq. The two stamps come from two
 * hosts' clocks, so each sample carries their offset; a forward and a
 * reverse sample summed cancel it (as NTP does).
 */
function oneWay(seen: Sighting[], dirOf: Map<number, Direction>, direction: Direction): number[] {
  const left = new Map<string, number>();
  for (const s of seen) {
    if (dirOf.get(s.probeId) !== direction || s.inner === 'echo-reply') continue;
    if (s.at === 'sender' && s.dir === 'out') left.set(`${s.probeId}/${s.seq}`, s.time);
  }
  const out: number[] = [];
  for (const s of seen) {
    if (dirOf.get(s.probeId) !== direction || s.inner === 'echo-reply') continue;
    if (s.at !== 'receiver' || s.dir !== 'in') continue;
    const t0 = left.get(`${s.probeId}/${s.seq}`);
    if (t0 !== undefined) out.push(s.time - t0);
  }
  return out;
}

/** Echo round trips of VTEP probes, each on its sender's own clock. */
function echoRoundTrips(seen: Sighting[]): number[] {
  const sent = new Map<string, number>();
  for (const s of seen) if (s.at === 'sender' && s.dir === 'out' && s.inner === 'echo-request') sent.set(`${s.probeId}/${s.seq}`, s.time);
  const out: number[] = [];
  for (const s of seen) {
    if (s.at !== 'sender' || s.dir !== 'in' || s.inner !== 'echo-reply') continue;
    const t0 = sent.get(`${s.probeId}/${s.seq}`);
    if (t0 !== undefined && s.time >= t0) out.push(s.time - t0);
  }
  return out;
}

/** The path's round trip as this run's frames show it, or null when they cannot tell yet. */
export function measureRoundTrip(probes: ProbeSpec[], seen: Sighting[]): RoundTrip | null {
  const dirOf = new Map(probes.map((p) => [p.probeId, p.direction]));
  const fwd = oneWay(seen, dirOf, 'forward');
  const rev = oneWay(seen, dirOf, 'reverse');
  if (fwd.length > 0 && rev.length > 0) {
    const rtt = Math.max(0, median(fwd) + median(rev));
    return { rttMs: rtt, spreadMs: range(fwd) + range(rev), samples: fwd.length + rev.length, source: 'one-way-pair' };
  }
  const echoes = echoRoundTrips(seen);
  if (echoes.length > 0) return { rttMs: median(echoes), spreadMs: range(echoes), samples: echoes.length, source: 'vtep-echo' };
  return null;
}

/** How long after a send a probe may still arrive: 4 round trips plus 4 spreads, floored and capped. */
export function lossDeadlineMs(rt: RoundTrip): number {
  return Math.min(DEADLINE_CAP_MS, Math.max(DEADLINE_FLOOR_MS, 4 * rt.rttMs + 4 * rt.spreadMs));
}
