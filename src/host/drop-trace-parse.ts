// Pure halves of kernel drop tracing (docs/kernel-drop-reasons.md): reading
// the instance's trace text, and pairing the packets it shows with the probe
// frames the sniffer saw, so each dropped probe frame gets the kernel's reason.
import type { KernelDrop } from './kernel-drop-types.js';

/** More than any probe run needs; a busy host's other drops are cut off here. */
export const MAX_DROPS = 512;
/**
 * After calibration a frame's sniffer timestamp and its receive event differ
 * by microseconds on an idle host, by milliseconds on a loaded one (the
 * sniffer stamps a frame when the NIC queues it, the tracepoint fires when
 * the stack takes it). The VTEP probes carry a length unique to their run
 * (src/pair/probe-frames.ts), so look-alikes from other namespaces' NICs of
 * the same name rarely share it.
 */
const ALIGN_MS = 10;
/** The two clocks are read within a millisecond of each other at start; look this far for the offset. */
const CALIBRATE_MS = 20;
/** Offsets this close count as the same (the calibration's histogram bin). */
const BIN_MS = 0.5;

/** A packet the NIC handed to the stack during the window, and how it ended if dropped. */
export interface Received {
  /** ms since epoch (trace clock plus the offset measured at start). */
  time: number;
  len: number;
  drop: { reason: string; location: string } | null;
}

/** A probe frame the sniffer saw arrive. */
export interface ArrivedFrame {
  probeId: number;
  seq: number;
  time: number;
  ipLength: number;
}

const LINE = /\s(\d+\.\d+):\s+(netif_receive_skb|kfree_skb):\s+(.*)$/;
/**
 * A drop belongs to a received packet only this soon after it: the drops that
 * matter here (netfilter, rp_filter, VXLAN, no socket) happen in the same
 * softirq pass, microseconds after receipt; a freed skb's address is soon
 * reused by another packet, whose later drop must not be blamed on ours.
 */
export const MAX_FATE_MS = 2;

/**
 * Packets received on `nic`, in order, each with the drop that followed it
 * (the first kfree_skb of the same skb address within MAX_FATE_MS, before the
 * address was received again).
 */
export function receivesFromTrace(text: string, nic: string, offsetMs: number): Received[] {
  const open = new Map<string, Received>();
  const out: Received[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const fields = m[3]!;
    const skb = /skbaddr=([0-9a-fx]+)/.exec(fields)?.[1];
    if (!skb) continue;
    const time = Number(m[1]) * 1000 + offsetMs;
    if (m[2] === 'netif_receive_skb') {
      const dev = /dev=(\S+)/.exec(fields)?.[1];
      const len = Number(/len=(\d+)/.exec(fields)?.[1]);
      // A decapsulated frame received again on the VXLAN device keeps its first record.
      const prev = open.get(skb);
      if (prev && time - prev.time <= MAX_FATE_MS && dev !== nic) continue;
      open.delete(skb);
      if (dev !== nic || !Number.isInteger(len)) continue;
      const rx: Received = { time, len, drop: null };
      out.push(rx);
      open.set(skb, rx);
      continue;
    }
    const rx = open.get(skb);
    if (!rx) continue;
    open.delete(skb);
    if (time - rx.time > MAX_FATE_MS) continue;
    // Names as the kernel prints them; an unknown value prints as hex, kept readable and within the schema.
    const raw = /reason: (\S+)/.exec(fields)?.[1] ?? 'NOT_SPECIFIED';
    const reason = raw.toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 48);
    const location = (/location=(\S+)/.exec(fields)?.[1] ?? '').replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, '').slice(0, 64);
    rx.drop = { reason, location };
  }
  return out;
}

/**
 * The offset between the trace clock and the sniffer's: nearly every frame
 * has one receive event at the true offset, while look-alikes from elsewhere
 * scatter, so the densest BIN_MS-wide cluster of candidate offsets wins.
 */
function calibrate(receives: Received[], frames: ArrivedFrame[]): number {
  const offsets: number[] = [];
  for (const f of frames) {
    for (const r of receives) {
      const d = r.time - f.time;
      if (r.len === f.ipLength && Math.abs(d) <= CALIBRATE_MS) offsets.push(d);
    }
  }
  offsets.sort((a, b) => a - b);
  let best = { count: 0, at: 0 };
  for (let i = 0, j = 0; i < offsets.length; i++) {
    while (offsets[i]! - offsets[j]! > BIN_MS) j++;
    if (i - j + 1 > best.count) best = { count: i - j + 1, at: j };
  }
  const cluster = offsets.slice(best.at, best.at + best.count);
  return cluster.length === 0 ? 0 : cluster[Math.floor(cluster.length / 2)]!;
}

/**
 * Pairs each arrived frame with its receive event: same length, in the same
 * order, at the same time once the two clocks are calibrated against each other.
 */
export function alignFrames(receives: Received[], frames: ArrivedFrame[]): { matched: number; drops: KernelDrop[]; truncated: boolean } {
  const sorted = [...frames].sort((a, b) => a.time - b.time);
  const shift = calibrate(receives, sorted);
  // Frames and receive events keep their order; per length, so a look-alike of one length cannot push another's pairing.
  const lastByLen = new Map<number, number>();
  let matched = 0;
  let truncated = false;
  const drops: KernelDrop[] = [];
  for (const f of sorted) {
    // The nearest same-length receive after the last one of that length paired.
    let pick = -1;
    for (let i = (lastByLen.get(f.ipLength) ?? -1) + 1; i < receives.length; i++) {
      const r = receives[i]!;
      const d = r.time - shift - f.time;
      if (d > ALIGN_MS) break;
      if (r.len !== f.ipLength || d < -ALIGN_MS) continue;
      if (pick < 0 || Math.abs(d) < Math.abs(receives[pick]!.time - shift - f.time)) pick = i;
    }
    if (pick < 0) continue;
    lastByLen.set(f.ipLength, pick);
    matched++;
    const drop = receives[pick]!.drop;
    if (!drop) continue;
    if (drops.length >= MAX_DROPS) truncated = true;
    else drops.push({ probeId: f.probeId, seq: f.seq, reason: drop.reason, location: drop.location });
  }
  return { matched, drops, truncated };
}
