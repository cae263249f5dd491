// Shared shapes of the fault lab: topologies, faults, scenarios and the
// expectations a scenario makes about the kernel's own datapath and about the
// prober's verdicts (docs/architecture.md, "Verdicts" and "The lab").
import type { HostLayout } from './host-layouts.js';
import type { Netns } from './netns.js';
import type { Direction } from '../diagnose/plan-types.js';
import type { Verdict } from '../diagnose/types.js';

export type TopologyKind = 'routed' | 'l2' | 'mesh';

/** Flow direction between nodes a and b ('a->b' is "forward": a runs `pair`). */
export type Flow = 'a->b' | 'b->a' | 'both';

export type FaultSpec =
  /** A security group in the path (router or hypervisor) dropping or rejecting udp/port. */
  | { kind: 'sg-drop'; port: number; flow: Flow; mode: 'drop' | 'reject' }
  /**
   * The hypervisor's bridge consumes UDP to `port` that looks like VXLAN (I flag), optionally one VNI only,
   * optionally only between two nodes (both ways) of a mesh.
   */
  | { kind: 'hypervisor-eats-vxlan'; port: number; vni?: number; between?: [string, string] }
  /** A program on `node` bound to udp/port before flannel, so flannel.1 cannot come up. */
  | { kind: 'port-held-by-program'; node: string; port: number }
  /** Another VXLAN device (metadata mode, like OVS/Cilium) holds udp/port on `node` first. */
  | { kind: 'second-vxlan-device'; node: string; port: number }
  /** `node`'s FDB entry for `peer`'s VtepMAC points to `ip` (Vagrant NAT address). */
  | { kind: 'fdb-wrong-ip'; node: string; peer: string; ip: string }
  /** `node`'s neighbor entry for `peer`'s VTEP holds an old MAC (with flannel's old FDB entry). */
  | { kind: 'stale-vtep-mac'; node: string; peer: string }
  /** The public-ip annotation of `nodes` says `ip`; every peer's FDB follows it. */
  | { kind: 'public-ip'; nodes: string[] | 'all'; ip: string }
  /** A hop with a smaller MTU that drops big frames without any ICMP. */
  | { kind: 'mtu-black-hole'; mtu: number }
  /** `node`'s INPUT chain drops udp/port (host firewall). */
  | { kind: 'host-firewall'; node: string; port: number }
  /** net.ipv4.ip_forward=0 on `node`. */
  | { kind: 'ip-forward-off'; node: string }
  /** `node`'s FORWARD chain rejects the pod network with icmp-host-prohibited. */
  | { kind: 'forward-reject'; node: string }
  /** `node` is dual-homed (replies to peers leave by eth1) and rp_filter is strict. */
  | { kind: 'rp-filter-strict'; node: string }
  /** Every UDP datagram between the nodes is dropped in the path. */
  | { kind: 'all-udp-dropped' }
  /** udp/8472 and udp/8475 dropped in the path; other UDP passes. */
  | { kind: 'both-ports-closed'; ports?: number[] }
  /** A real host's firewall layout (src/lab/host-layouts.ts) on `node` or on every node; most are healthy. */
  | { kind: 'host-layout'; node: string | 'all'; layout: HostLayout };

export type FaultKind = FaultSpec['kind'];

/** What the kernel's own datapath does in one direction (a->b = forward). */
export interface DirectionTruth {
  /** Pod-to-pod ping round trip through the overlay. */
  podPing: boolean;
  /** First ICMP error line ping printed (e.g. "Destination Host Prohibited"), if any. */
  podPingError?: string;
  /** A UDP datagram from the source pod arrives in the destination pod (one way). */
  podDeliver: boolean;
  /** A ping with DF at the pod MTU (size = pod MTU - 28) gets its reply. */
  bigPodPing: boolean;
  /** Plain UDP from node to node:port arrives at the receiving NIC, per port. */
  plainUdp: Record<number, boolean>;
  /** A VXLAN-formatted datagram (I flag, the lab's VNI) to node:port arrives at the NIC. */
  vxlanUdp: Record<number, boolean>;
  /** The same with another VNI (4242). */
  vxlanOtherVni: Record<number, boolean>;
  /** Plain UDP to a baseline port outside the probed ones arrives. */
  baselineUdp: boolean;
  /** ICMP destination-unreachable codes that reached the sending node's NIC. */
  icmp: string[];
}

export interface KernelTruth {
  forward: DirectionTruth;
  reverse: DirectionTruth;
}

/** A partial DirectionTruth; icmp lists codes that must be present. */
export type DirectionExpectation = Partial<Omit<DirectionTruth, 'plainUdp' | 'vxlanUdp' | 'vxlanOtherVni'>> & {
  plainUdp?: Record<number, boolean>;
  vxlanUdp?: Record<number, boolean>;
  vxlanOtherVni?: Record<number, boolean>;
};

export interface ExpectedVerdict {
  port: number;
  direction: Direction;
  verdict: Verdict;
}

/** What `inspect` should report on a node's own tables (ids not fixed yet). */
export interface ExpectedFinding {
  node: string;
  fault: string;
  detail: string;
}

export interface Scenario {
  name: string;
  description: string;
  topology: TopologyKind;
  /** Number of nodes (mesh only; others have 2). */
  nodeCount?: number;
  /** UDP port the lab's flannel runs on (default 8472). */
  port?: number;
  /** The overlay the nodes run (default flannel; calico: src/lab/calico-overlay.ts). */
  overlay?: 'flannel' | 'calico';
  /** Ports `pair` probes in this scenario (default 8472, 8475). */
  probePorts?: number[];
  vni?: number;
  faults: FaultSpec[];
  expected: {
    forward: DirectionExpectation;
    reverse: DirectionExpectation;
    expectedVerdicts: ExpectedVerdict[];
    expectedFindings: ExpectedFinding[];
    /** Why the verdicts are what they are, where it is not obvious. */
    notes?: string;
  };
}

export interface LabNode {
  name: string;
  /** 1-based position; gives the pod subnet 10.244.<index>.0/24. */
  index: number;
  netns: Netns;
  /** The node's "pod": a namespace behind cni0. */
  pod: Netns;
  podIp: string;
  iface: 'eth0';
  ip: string;
  subnetPrefix: number;
  gateway?: string;
  /** MTU of eth0 and of flannel.<VNI> (eth0 - 50), which pods use too. */
  underlayMtu: number;
  overlayMtu: number;
  podCidr: string;
  vtepIp: string;
  vtepMac: string;
  vxlanDev: string;
  vxlanPort: number;
  vni: number;
  /** The public-ip annotation (differs from ip under a public-ip fault). */
  publicIp: string;
  /** `kubectl get node NAME -o json` style document with flannel's annotations. */
  nodeDoc: NodeDocument;
}

export interface NodeDocument {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: { name: string; annotations: Record<string, string>; labels: Record<string, string> };
  spec: { podCIDR: string; podCIDRs: string[] };
  status: { addresses: { type: string; address: string }[] };
}
