// Contract between the agent and its node discovery (see docs/agent.md).
// Copy this file verbatim to src/agent/discovery/types.ts; change it only together with the lead.
import type { ClusterNode, FlannelNetworkConfig } from '../../cluster/types.js';

/** One node the agent may probe: flannel/Calico truth plus what selection needs. */
export interface PeerNode extends ClusterNode {
  /** Failure domain: topology.kubernetes.io/zone label, else null (selection then uses the underlay /24). */
  zone: string | null;
}

export interface DiscoverySnapshot {
  /** Eligible nodes only: Ready and not being deleted (sources without readiness: all). */
  nodes: PeerNode[];
  config: FlannelNetworkConfig | null;
  /** 'nodes-document' | 'kubernetes-api' | 'etcd' */
  source: string;
  /** File path, API URL or etcd URL, credentials never included. */
  origin: string;
}

export interface Discovery {
  /** Resolves after the first complete sync (list); rejects with a one-line Error if that fails. */
  start(): Promise<void>;
  /** True once synced and while the source is believed current (false while relisting after errors). */
  readonly synced: boolean;
  /** The latest snapshot (empty nodes before start()). */
  snapshot(): DiscoverySnapshot;
  /** Called after every change of the eligible set or their data; returns an unsubscribe function. */
  onChange(listener: (snap: DiscoverySnapshot) => void): () => void;
  /** Stops watches/timers and closes sockets; idempotent; resolves within 1 s. */
  close(): Promise<void>;
}
