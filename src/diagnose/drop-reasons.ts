// The receiving kernel's own drop reasons as evidence for host-drop
// (docs/kernel-drop-reasons.md). Pure: the receiving side already paired each
// probe frame its sniffer saw with the kernel's fate for it; this picks the
// frames the verdict is about.
import type { Direction } from './plan-types.js';
import type { ProbeOutcome } from './observe.js';
import type { EvidenceItem, RunRecord } from './types.js';

/**
 * What the receiver's kernel did with the probe frames that reached its NIC
 * (`probes`: the crafted VTEP echoes, which its kernel should answer; the
 * other probes end in a drop even on a healthy host, e.g. NO_SOCKET). Nothing when the run
 * predates drop capture; one item saying why when the receiver could not
 * capture; else the reasons, or that none of those frames was dropped.
 */
type Capture = NonNullable<NonNullable<RunRecord['kernelDrops']>['local']>;

/** The receiver's capture, or the one evidence item saying why there is none. */
function captureOf(record: RunRecord, direction: Direction, receiverName: string): Capture | EvidenceItem[] {
  if (!record.kernelDrops) return [];
  const capture = direction === 'forward' ? record.kernelDrops.peer : record.kernelDrops.local;
  if (!capture) {
    return [{ kind: 'kernel-drop-unavailable', message: `${receiverName}'s kernel drop reasons were not captured (its vxprobe sent none); the table evidence stands alone` }];
  }
  if (!capture.available) {
    return [{ kind: 'kernel-drop-unavailable', message: `${receiverName}'s kernel drop reasons are unavailable: ${capture.note ?? 'unknown'}; the table evidence stands alone`, data: { note: capture.note } }];
  }
  return capture;
}

export function kernelDropEvidence(record: RunRecord, direction: Direction, receiverName: string, probes: ProbeOutcome[]): EvidenceItem[] {
  const capture = captureOf(record, direction, receiverName);
  if (Array.isArray(capture)) return capture;
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

/**
 * Where the receiver's forwarding ends, from the TTL-1 packets to its pod
 * network (src/pair/pod-forward.ts): IP_INHDR means its kernel forwards (the
 * TTL expired as designed); any other reason names why it would not forward.
 */
export function forwardingDropEvidence(record: RunRecord, direction: Direction, receiverName: string, probes: ProbeOutcome[]): EvidenceItem[] {
  const frames = probes.flatMap((o) => o.arrived);
  if (frames.length === 0) return [];
  const capture = captureOf(record, direction, receiverName);
  if (Array.isArray(capture)) return capture;
  const target = frames[0]!.innerDstIp ?? 'its pod network';
  const wanted = new Set(frames.map((s) => `${s.probeId}/${s.seq}`));
  const drops = capture.drops.filter((d) => wanted.has(`${d.probeId}/${d.seq}`));
  const other = drops.find((d) => d.reason !== 'IP_INHDR');
  if (other) {
    return [{
      kind: 'kernel-drop-reason',
      message: `${receiverName}'s kernel dropped the TTL-1 packet to ${target} instead of forwarding it towards its pods: reason ${other.reason}${other.location ? ` (in ${other.location})` : ''}`,
      data: { reason: other.reason, location: other.location, target, count: drops.filter((d) => d.reason === other.reason).length, frames: frames.length },
    }];
  }
  if (drops.length > 0) {
    return [{
      kind: 'kernel-forwards',
      message: `${receiverName}'s kernel forwards towards its pods: it expired the TTL-1 packet to ${target} as a forwarding host does (reason IP_INHDR), so the drop is in a later step`,
      data: { reason: 'IP_INHDR', target, frames: frames.length },
    }];
  }
  return [{
    kind: 'kernel-drop-none',
    message: `${receiverName}'s kernel recorded no drop of the TTL-1 packet to ${target}${capture.truncated ? ` (${capture.note ?? 'the capture is incomplete'})` : ''}`,
    data: { target, frames: frames.length },
  }];
}
