// The receiving kernel's own drop reasons as evidence for host-drop
// (docs/kernel-drop-reasons.md). Pure: the receiving side already paired each
// probe frame its sniffer saw with the kernel's fate for it; this picks the
// frames the verdict is about.
import type { Direction } from '../pair/plan-types.js';
import type { ProbeOutcome } from './observe.js';
import type { EvidenceItem, RunRecord } from './types.js';

/**
 * What the receiver's kernel did with the probe frames that reached its NIC
 * (`probes`: the crafted VTEP echoes, which its kernel should answer; the
 * other probes end in a drop even on a healthy host, e.g. NO_SOCKET). Nothing when the run
 * predates drop capture; one item saying why when the receiver could not
 * capture; else the reasons, or that none of those frames was dropped.
 */
export function kernelDropEvidence(record: RunRecord, direction: Direction, receiverName: string, probes: ProbeOutcome[]): EvidenceItem[] {
  if (!record.kernelDrops) return [];
  const capture = direction === 'forward' ? record.kernelDrops.peer : record.kernelDrops.local;
  if (!capture) {
    return [{ kind: 'kernel-drop-unavailable', message: `${receiverName}'s kernel drop reasons were not captured (its vxprobe sent none); the table evidence stands alone` }];
  }
  if (!capture.available) {
    return [{ kind: 'kernel-drop-unavailable', message: `${receiverName}'s kernel drop reasons are unavailable: ${capture.note ?? 'unknown'}; the table evidence stands alone`, data: { note: capture.note } }];
  }
  const frames = probes.flatMap((o) => o.arrived);
  const wanted = new Set(frames.map((s) => `${s.probeId}/${s.seq}`));
  const matched = new Map<string, { reason: string; location: string; count: number }>();
  for (const d of capture.drops) {
    if (!wanted.has(`${d.probeId}/${d.seq}`)) continue;
    const key = `${d.reason} ${d.location}`;
    const m = matched.get(key) ?? { reason: d.reason, location: d.location, count: 0 };
    m.count++;
    matched.set(key, m);
  }
  const partial = capture.truncated ? ` (${capture.note ?? 'the capture is incomplete'})` : '';
  if (matched.size === 0) {
    const whole = capture.framesMatched === capture.framesSeen && !capture.truncated;
    return [{
      kind: 'kernel-drop-none',
      message: whole
        ? `${receiverName}'s kernel recorded no drop of the ${frames.length} VTEP echoes its ${capture.nic} received`
        : `${receiverName}'s kernel trace accounts for ${capture.framesMatched} of the ${capture.framesSeen} probe frames its ${capture.nic} received${partial}, with no drop of a frame for its VTEP among them`,
      data: { frames: frames.length, framesSeen: capture.framesSeen, framesMatched: capture.framesMatched, truncated: capture.truncated },
    }];
  }
  const reasons = [...matched.values()].sort((a, b) => b.count - a.count);
  return reasons.map((r) => ({
    kind: 'kernel-drop-reason',
    message: `${receiverName}'s kernel dropped ${r.count} of ${frames.length} probe frames after ${capture.nic} received them: reason ${r.reason}${r.location ? ` (in ${r.location})` : ''}${partial}`,
    data: { reason: r.reason, location: r.location, count: r.count, frames: frames.length, nic: capture.nic },
  }));
}
