// Evidence and verdicts. The classifier is a pure function of a RunRecord
// (what each side saw plus both sides' host facts), so every verdict can be
// reproduced from a recorded JSON fixture without root.
import type { HostFacts } from '../host/types.js';
import type { KernelDropCapture } from '../host/kernel-drop-types.js';
import type { Direction, ProbePlan } from './plan-types.js';

/** One captured frame carrying one of this run's tokens, as a sniffer saw it. */
export interface Sighting {
  probeId: number;
  seq: number;
  /** Which sniffer saw it: the probe's sender or receiver. */
  at: 'sender' | 'receiver';
  /** Packet direction on that NIC. */
  dir: 'in' | 'out';
  /** ms since epoch (kernel timestamp). */
  time: number;
  srcIp: string;
  dstIp: string;
  /** Outer UDP ports; null for a kernel-path ICMP echo seen before encapsulation. */
  srcPort: number | null;
  dstPort: number | null;
  ttl: number;
  /** Outer IPv4 total length. */
  ipLength: number;
  udpChecksumOk: boolean | null;
  vni: number | null;
  innerSrcMac: string | null;
  innerDstMac: string | null;
  innerSrcIp: string | null;
  innerDstIp: string | null;
  /** 'echo-request', 'echo-reply', 'udp' or null (plain UDP probe). */
  inner: 'echo-request' | 'echo-reply' | 'udp' | null;
}

/** An ICMP error seen on a NIC that quotes one of this run's probes. */
export interface IcmpSighting {
  probeId: number;
  at: 'sender' | 'receiver';
  time: number;
  /** The router or host that sent the error. */
  from: string;
  type: number;
  code: number;
  nextHopMtu: number | null;
}

/** How a missing probe was judged lost (src/pair/loss-deadline.ts); shown as evidence with -v. */
export interface LossDecision {
  probeId: number;
  /** The deadline after its last send within which it was not seen, ms. */
  deadlineMs: number;
  tries: number;
  /** The measured round trip it was judged by; null when the fixed schedule decided. */
  rttMs: number | null;
  spreadMs: number | null;
}

/** Everything recorded for one run: the input of the classifier. */
export interface RunRecord {
  plan: ProbePlan;
  /** Facts of the node running `pair` (forward sender) and of its peer. */
  local: HostFacts;
  peer: HostFacts;
  /** The peer's underlay address probes were sent to; ours as the peer saw it. */
  localIp: string;
  peerIp: string;
  /** Sightings with `at` relative to each probe's own direction. */
  sightings: Sighting[];
  icmp: IcmpSighting[];
  /** Probes that could not be sent, with the reason (e.g. no VXLAN device). */
  notSent: { probeId: number; reason: string }[];
  /** Each side's kernel drop reasons for packets its NIC received (null: that side sent none). */
  kernelDrops?: { local: KernelDropCapture | null; peer: KernelDropCapture | null };
  /** How missing probes were judged lost (measured round trip and deadline); absent in older records. */
  losses?: LossDecision[];
  /**
   * Frames each side's capture ring dropped during the run (it was full: more
   * matching traffic than it could hold). Absent in older records.
   */
  captureDrops?: { local: number; peer: number };
}

export type Verdict =
  | 'ok'
  | 'filtered'
  | 'hijacked'
  | 'port-conflict'
  | 'vtep-mapping'
  | 'mtu'
  | 'host-drop'
  | 'unreachable';

/** One fact behind a verdict, readable on its own. */
export interface EvidenceItem {
  /** Stable machine key, e.g. 'plain-arrived', 'icmp-reject', 'fdb-dst'. */
  kind: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface PortResult {
  port: number;
  direction: Direction;
  /** Sender and receiver node names for this direction. */
  from: string;
  to: string;
  verdict: Verdict;
  /** One line, for the table cell. */
  reason: string;
  evidence: EvidenceItem[];
  /** The concrete change to make; null when ok. */
  remedy: string | null;
}

/** What `pair` returns and `pair --json` prints (stable; see README). */
export interface PairReport {
  version: 1;
  /** The address given to `pair`. */
  peer: string;
  nodes: { local: { name: string; ip: string }; peer: { name: string; ip: string } };
  ports: number[];
  baselinePort: number;
  runId: number;
  startedAt: string;
  durationMs: number;
  /** One per (port, direction), forward first. */
  results: PortResult[];
  /** True when every result is ok. */
  ok: boolean;
}
