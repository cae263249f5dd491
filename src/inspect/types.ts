// What `inspect` reports: findings, each with the evidence that led to it
// and the exact command or setting that fixes it.
import type { ClusterNode, FlannelNetworkConfig } from '../cluster/types.js';
import type { HostFacts, LinkInfo } from '../host/types.js';
import type { FindingId } from './catalog.js';

export type Severity = 'error' | 'warning' | 'info';

export type EvidenceValue = string | number | boolean | null | string[] | number[];

export interface Finding {
  /** Stable kebab-case id from the catalog, e.g. 'peer-fdb-dst'. */
  id: FindingId;
  severity: Severity;
  /** The node the fault lies on or concerns (self or a peer); null = this host, unnamed. */
  node: string | null;
  message: string;
  evidence: Record<string, EvidenceValue>;
  /** The concrete fix: a command, flag, annotation or setting. */
  remedy: string;
}

/** Everything a check may read; built once per run. */
export interface InspectContext {
  facts: HostFacts;
  cluster: ClusterNode[] | null;
  /** Name of the node this host is (in `cluster`), null when unknown. */
  self: string | null;
  config: FlannelNetworkConfig | null;
  /** The overlay's VXLAN device (flannel.<VNI>), null when none was found. */
  overlay: LinkInfo | null;
  /** The underlay NIC carrying VXLAN (the device's link, else facts.nic). */
  underlay: { name: string; mtu: number } | null;
  /** Display name of this host in findings. */
  selfLabel: string;
}

export type Check = (ctx: InspectContext) => Finding[];
