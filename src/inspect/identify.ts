// Which VXLAN device is the overlay's, and which cluster node this host is.
// A network namespace shares the host's hostname, and a Vagrant cluster
// shares one public-ip, so identity is decided by the most specific evidence
// that matches exactly one node.
import { CALICO_VXLAN } from '../cluster/calico.js';
import type { ClusterNode, FlannelNetworkConfig } from '../cluster/types.js';
import type { HostFacts, LinkInfo } from '../host/types.js';

/** The VNI the cluster agrees on (config, else the most common annotation), default 1 (Calico's nodes: Felix's 4096). */
export function clusterVni(cluster: ClusterNode[] | null, config: FlannelNetworkConfig | null): number {
  if (config?.vni != null) return config.vni;
  const counts = new Map<number, number>();
  for (const n of cluster ?? []) if (n.vni !== null) counts.set(n.vni, (counts.get(n.vni) ?? 0) + 1);
  let best: number = cluster?.some((n) => n.overlay === 'calico') ? CALICO_VXLAN.vni : 1;
  let bestCount = 0;
  for (const [vni, count] of counts) if (count > bestCount) [best, bestCount] = [vni, count];
  return best;
}

// Which VXLAN device is the overlay's is the rule layer's answer, shared with `pair`.
export { selectOverlayDevice } from '../overlay/vtep.js';

export interface SelfMatch {
  name: string;
  /** What identified it, for the report. */
  by: 'flag' | 'hostname' | 'vtep-mac' | 'internal-ip' | 'public-ip' | 'pod-cidr';
}

/**
 * Identifies this host among the cluster's nodes. Order: explicit flag,
 * hostname, the overlay device's MAC in backend-data, an InternalIP held
 * locally, the public-ip held locally, the podCIDR on a local bridge.
 * Each rule counts only when exactly one node matches.
 */
export function identifySelf(
  facts: HostFacts,
  cluster: ClusterNode[],
  overlay: LinkInfo | null,
  explicit?: string,
): SelfMatch | null {
  if (explicit) return cluster.some((n) => n.name === explicit) ? { name: explicit, by: 'flag' } : null;
  const localIps = new Set(facts.addresses.filter((a) => a.family === 4).map((a) => a.address));
  const unique = (pred: (n: ClusterNode) => boolean): string | null => {
    let found: string | null = null;
    for (const n of cluster) {
      if (!pred(n)) continue;
      if (found !== null) return null;
      found = n.name;
    }
    return found;
  };
  const connectedRoutes = new Set(
    facts.routes.filter((r) => r.gateway === null && r.type === 'unicast' && r.ifindex !== overlay?.ifindex).map((r) => r.dst),
  );
  const rules: Array<[SelfMatch['by'], (n: ClusterNode) => boolean]> = [
    ['hostname', (n) => n.name === facts.hostname],
    ['vtep-mac', (n) => overlay?.mac != null && n.vtepMac === overlay.mac.toLowerCase()],
    ['internal-ip', (n) => n.internalIPs.some((ip) => localIps.has(ip))],
    ['public-ip', (n) => n.publicIp !== null && localIps.has(n.publicIp)],
    ['pod-cidr', (n) => n.podCIDRs.some((c) => connectedRoutes.has(c))],
  ];
  for (const [by, pred] of rules) {
    const name = unique(pred);
    if (name !== null) return { name, by };
  }
  return null;
}
