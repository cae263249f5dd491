// Evidence of how missing probes were called lost: the measured round trip
// and the deadline derived from it (src/pair/loss-deadline.ts), or the fixed
// schedule when no round trip could be measured. Informational only: it
// never changes a verdict, it tells the reader how long "lost" waited.
import type { Direction } from '../pair/plan-types.js';
import type { EvidenceItem, LossDecision, RunRecord } from './types.js';

const fmt = (ms: number): string => (ms >= 10 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2));

/** "lost: not seen within 12 ms, 40× the measured 0.30 ms round trip (...)" */
export function describeLoss(d: LossDecision): string {
  const tries = d.tries === 1 ? '1 try' : `${d.tries} tries`;
  if (d.rttMs === null) return `lost: not seen within ${fmt(d.deadlineMs)} ms of the last send (${tries}; no round trip could be measured, fixed schedule)`;
  const ratio = d.rttMs > 0 ? `, ${Math.round(d.deadlineMs / d.rttMs)}× the measured ${fmt(d.rttMs)} ms round trip` : '';
  return `lost: not seen within ${fmt(d.deadlineMs)} ms${ratio} (spread ${fmt(d.spreadMs ?? 0)} ms; ${tries})`;
}

/** One evidence item for the probes to `port` (and the baseline) of `direction` that were called lost. */
export function lossEvidence(record: RunRecord, direction: Direction, port: number): EvidenceItem | null {
  const losses = record.losses ?? [];
  if (losses.length === 0) return null;
  const byId = new Map(record.plan.probes.map((p) => [p.probeId, p]));
  const mine = losses.filter((l) => {
    const p = byId.get(l.probeId);
    return p !== undefined && p.direction === direction && (p.port === port || p.kind === 'baseline');
  });
  if (mine.length === 0) return null;
  const names = mine.map((l) => {
    const p = byId.get(l.probeId)!;
    return `${p.kind}${p.size !== null ? ` ${p.size}` : ''}${p.kind === 'baseline' ? ` (${p.port})` : ''}`;
  });
  // The decisions of one run share the round trip; the longest deadline speaks for all.
  const worst = mine.reduce((a, b) => (b.deadlineMs > a.deadlineMs ? b : a));
  return {
    kind: 'loss-deadline',
    message: `${names.join(', ')}: ${describeLoss(worst)}`,
    data: { probes: mine.map((l) => l.probeId), deadlineMs: worst.deadlineMs, rttMs: worst.rttMs, spreadMs: worst.spreadMs, tries: worst.tries },
  };
}

/**
 * When probes of `direction` were called lost and the receiving side's
 * capture ring overflowed during the run, "lost" may mean "arrived unseen":
 * say so beside the verdict, so a busy node's own traffic on the port is
 * never silently read as a filtered path.
 */
export function captureOverflowEvidence(record: RunRecord, direction: Direction, port: number, receiverName: string): EvidenceItem | null {
  const drops = record.captureDrops;
  if (!drops) return null;
  const dropped = direction === 'forward' ? drops.peer : drops.local;
  if (dropped === 0 || lossEvidence(record, direction, port) === null) return null;
  return {
    kind: 'capture-overflow',
    message: `${receiverName}'s capture ring was full and dropped ${dropped} frame${dropped === 1 ? '' : 's'} during the run: the probes called lost may have arrived unseen (heavy traffic on the probed ports); run again before acting on this verdict`,
    data: { dropped, side: direction === 'forward' ? 'peer' : 'local' },
  };
}
