// The probe matrix as data (docs/architecture.md, "Probe kinds"). Both sides build frames from these
// specs themselves: the control channel carries specs, never bytes.

export type Direction = 'forward' | 'reverse';

export type ProbeKind =
  /** Plain UDP (token payload) to the port. */
  | 'plain'
  /** VXLAN with the receiver's real VNI; the inner frame is addressed to nobody. */
  | 'vxlan'
  /** VXLAN with another VNI: tells VNI-specific filtering apart. */
  | 'vxlan-other-vni'
  /** VXLAN whose outer IPv4 packet is `size` bytes (DF set): MTU and sweep. */
  | 'vxlan-size'
  /** Plain UDP to a port outside the probed list: "does any UDP pass?" */
  | 'baseline'
  /** VTEP echo crafted from the receiver's real VTEP facts (b). */
  | 'vtep-peer'
  /** VTEP echo crafted from the sender's own route/neigh/FDB tables (a). */
  | 'vtep-own'
  /** ICMP echo to the receiver's VTEP address, encapsulated by the sender's kernel (c). */
  | 'vtep-kernel'
  /** VTEP frame with a TTL-1 packet to the receiver's pod network: where its forwarding ends (src/pair/pod-forward.ts). */
  | 'pod-forward';

export interface ProbeSpec {
  /** Unique within a run; carried in every frame's token. */
  probeId: number;
  direction: Direction;
  kind: ProbeKind;
  /** Destination UDP port (for vtep-kernel: the port the VXLAN devices serve). */
  port: number;
  /** VNI for VXLAN kinds. */
  vni: number | null;
  /** Outer IPv4 total length for vxlan-size, else null. */
  size: number | null;
  /** Copies sent per round. */
  copies: number;
}

export interface ProbePlan {
  runId: number;
  ports: number[];
  baselinePort: number;
  probes: ProbeSpec[];
}
