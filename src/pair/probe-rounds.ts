// The probing phase of a run, both directions at once: send every probe,
// watch both sniffers, resend only what is missing, and decide when a
// missing probe is lost. With a measured round trip (loss-deadline.ts) that
// takes a few round trips and one resend; before one exists, or when nothing
// came back one way, the fixed resend schedule decides (docs/performance.md).
import type { LossDecision, Sighting } from '../diagnose/types.js';
import { ADAPTIVE_TRIES, lossDeadlineMs, measureRoundTrip } from './loss-deadline.js';
import type { ProbeSpec } from './plan-types.js';

/** When each resend round of the fixed schedule starts, ms after the first. */
export const ROUNDS_MS = [0, 150, 400, 800, 1300];
/** How long the fixed schedule waits for late frames after its last resend. */
const GRACE_MS = 300;
/**
 * Polling the listener's sightings: just over the ring's block retire time,
 * so a frame that arrived is visible at the first poll after it.
 */
const POLL_MS = 10;
/** The control channel allows 50 calls/s per session; stay under it with room for sends. */
const MAX_CALLS_PER_SECOND = 40;
/** A frame can sit this long in a TPACKET_V3 block before it is handed over (a timer tick of 4 ms at HZ=250, 10 at HZ=100). */
const RING_RETIRE_MS = 10;
/** The listener accepts rounds 1..16. */
const MAX_ROUND = 16;

export interface RoundsIo {
  probes: ProbeSpec[];
  /** Sends one forward probe locally; a reason when it could not be sent. */
  sendLocal(p: ProbeSpec, round: number): Promise<string | null>;
  /** Asks the listener to send these reverse probes; the ones it could not send, with reasons. */
  sendRemote(probeIds: number[], round: number): Promise<{ probeId: number; reason: string }[]>;
  /** Fetches the listener's new sightings. */
  poll(): Promise<void>;
  /** Everything both sniffers saw so far. */
  seen(): Sighting[];
  /** No resend after this (ms since the epoch); the phase ends by then. */
  endAt: number;
  onFirstSend?: () => void;
  /** Every probe went out once: from here on the phase mostly waits. */
  onFirstRound?: () => void;
  progress?: (line: string) => void;
}

export interface RoundsResult {
  notSent: Map<number, string>;
  losses: LossDecision[];
}

/** A probe is settled when its request was seen on the receiving NIC (and, for a VTEP echo, answered). */
export function settled(p: ProbeSpec, seen: Sighting[]): boolean {
  let arrived = false;
  let answered = false;
  for (const s of seen) {
    if (s.probeId !== p.probeId || s.at !== 'receiver') continue;
    if (s.dir === 'in' && s.inner !== 'echo-reply') arrived = true;
    if (s.dir === 'out' && s.inner === 'echo-reply') answered = true;
  }
  return arrived && (!p.kind.startsWith('vtep') || answered);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runProbeRounds(io: RoundsIo): Promise<RoundsResult> {
  const notSent = new Map<number, string>();
  const lost = new Map<number, LossDecision>();
  const tries = new Map<number, { count: number; at: number }>();
  const calls: number[] = [];
  const paced = async <T>(call: () => Promise<T>): Promise<T> => {
    const now = Date.now();
    while (calls.length && calls[0]! <= now - 1000) calls.shift();
    if (calls.length >= MAX_CALLS_PER_SECOND) await sleep(calls[0]! + 1000 - now);
    calls.push(Date.now());
    return call();
  };
  const pending = () => {
    const seen = io.seen();
    return io.probes.filter((p) => !notSent.has(p.probeId) && !lost.has(p.probeId) && !settled(p, seen));
  };

  let round = 0;
  let first = true;
  const send = async (todo: ProbeSpec[]) => {
    round++;
    const fwd = todo.filter((p) => p.direction === 'forward');
    const rev = todo.filter((p) => p.direction === 'reverse');
    // Started first so both directions fly at once; settled before anything can throw.
    const remote = rev.length
      ? paced(() => io.sendRemote(rev.map((p) => p.probeId), round)).then(
          (r) => ({ ok: true as const, r }),
          (err: Error) => ({ ok: false as const, err }),
        )
      : null;
    for (const p of fwd) {
      const reason = await io.sendLocal(p, round);
      if (first) io.onFirstSend?.();
      first = false;
      if (reason !== null) notSent.set(p.probeId, reason);
      tries.set(p.probeId, { count: (tries.get(p.probeId)?.count ?? 0) + 1, at: Date.now() });
    }
    if (remote) {
      const res = await remote;
      if (!res.ok) throw res.err;
      for (const n of res.r) notSent.set(n.probeId, n.reason);
      // The listener sent them before it answered: its answer is a safe upper bound of the send time.
      const at = Date.now();
      for (const p of rev) tries.set(p.probeId, { count: (tries.get(p.probeId)?.count ?? 0) + 1, at });
    }
  };

  const t0 = Date.now();
  let fixed = 1;
  let lastSend = Date.now();
  await send(pending());
  io.onFirstRound?.();
  while (pending().length > 0) {
    await sleep(POLL_MS);
    const polledAt = Date.now();
    await paced(() => io.poll());
    const todo = pending();
    if (todo.length === 0) break;
    const rt = measureRoundTrip(io.probes, io.seen());
    if (rt) {
      // Seen by now if it ever arrives: the deadline, plus the longest a frame waits in the ring.
      const deadline = lossDeadlineMs(rt);
      const due = todo.filter((p) => polledAt >= (tries.get(p.probeId)?.at ?? t0) + deadline + RING_RETIRE_MS);
      const again: ProbeSpec[] = [];
      for (const p of due) {
        const n = tries.get(p.probeId)?.count ?? 0;
        if (n < ADAPTIVE_TRIES && round < MAX_ROUND && Date.now() < io.endAt) again.push(p);
        else lost.set(p.probeId, { probeId: p.probeId, deadlineMs: deadline, tries: n, rttMs: rt.rttMs, spreadMs: rt.spreadMs });
      }
      if (again.length) {
        await send(again);
        lastSend = Date.now();
      }
    } else if (fixed < ROUNDS_MS.length && Date.now() >= t0 + ROUNDS_MS[fixed]! && Date.now() < io.endAt) {
      fixed++;
      await send(todo);
      lastSend = Date.now();
    } else if ((fixed >= ROUNDS_MS.length && Date.now() >= lastSend + GRACE_MS) || Date.now() >= io.endAt) {
      for (const p of todo) {
        const t = tries.get(p.probeId);
        lost.set(p.probeId, { probeId: p.probeId, deadlineMs: Date.now() - (t?.at ?? t0), tries: t?.count ?? 0, rttMs: null, spreadMs: null });
      }
      break;
    }
    io.progress?.(`round ${round}: ${io.probes.length - pending().length}/${io.probes.length} probes settled`);
  }
  // Late companions of settled probes (an echo reply on its way back, an
  // ICMP error) get one more look.
  await sleep(POLL_MS);
  await paced(() => io.poll());
  return { notSent, losses: [...lost.values()] };
}
