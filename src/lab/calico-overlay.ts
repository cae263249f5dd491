// The lab's second overlay flavour: Calico in VXLAN mode, as Felix programs
// it (docs/calico-vxlan.md): vxlan.calico (VNI 4096, udp/4789, nolearning,
// local = node IP, dev eth0, the node's tunnel MAC), the tunnel address /32 on
// it, and for every peer a permanent neighbor tunnel address -> tunnel MAC, a
// permanent FDB entry tunnel MAC -> node IP, the peer's tunnel address as a
// connected route and its pod block via the tunnel address, onlink. The pod
// side stays the lab's (a pod behind a bridge): what vxprobe checks is the VTEP.
import { CALICO_VXLAN } from '../cluster/calico.js';
import type { Shell } from './exec.js';
import { planNode } from './overlay.js';
import type { UnderlayNode } from './topology.js';
import type { LabNode, NodeDocument } from './types.js';

/** Pinned tunnel MACs so evidence reads easily (Felix makes random locally administered ones). */
export function calicoTunnelMac(index: number): string {
  return `66:ca:00:00:00:${index.toString(16).padStart(2, '0')}`;
}

/** A Kubernetes Node as Calico's Kubernetes datastore annotates it. */
export function calicoNodeDocument(node: Omit<LabNode, 'nodeDoc'>): NodeDocument {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      annotations: {
        'projectcalico.org/IPv4Address': `${node.publicIp}/${node.subnetPrefix}`,
        'projectcalico.org/IPv4VXLANTunnelAddr': node.vtepIp,
        'projectcalico.org/VXLANTunnelMACAddr': node.vtepMac,
      },
      labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux' },
    },
    spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
    status: { addresses: [{ type: 'InternalIP', address: node.ip }, { type: 'Hostname', address: node.name }] },
  };
}

/**
 * A tunnel address inside the node's pod range that is not its network
 * address: Calico's IPAM picks it from one of the node's blocks, so no CIDR in
 * node data yields it and `inspect` must read it from Calico's records (a lab
 * that used flannel's x.y.z.0 would hide that).
 */
export function calicoTunnelAddress(index: number): string {
  return `10.244.${index}.192`;
}

/** The node model for Calico: the flannel model's addresses, Felix's device, VNI, port, tunnel address and MAC. */
export function planCalicoNode(shell: Shell, tag: string, u: UnderlayNode): LabNode {
  const node = planNode(shell, tag, u, CALICO_VXLAN.port, CALICO_VXLAN.vni);
  const calico = { ...node, vxlanDev: CALICO_VXLAN.device, vtepIp: calicoTunnelAddress(u.index), vtepMac: calicoTunnelMac(u.index) };
  return { ...calico, nodeDoc: calicoNodeDocument(calico) };
}

/** Felix's entries for one peer on vxlan.calico (felix/vxlanfdb, felix/dataplane/linux/vxlan_mgr.go). */
export function programFelixPeer(node: LabNode, peer: LabNode): void {
  const ns = node.netns;
  const dev = node.vxlanDev;
  ns.ip(['neigh', 'replace', peer.vtepIp, 'lladdr', peer.vtepMac, 'dev', dev, 'nud', 'permanent']);
  ns.bridge(['fdb', 'replace', peer.vtepMac, 'dev', dev, 'dst', peer.publicIp, 'self', 'permanent']);
  ns.ip(['route', 'replace', `${peer.vtepIp}/32`, 'dev', dev, 'scope', 'link']);
  ns.ip(['route', 'replace', peer.podCidr, 'via', peer.vtepIp, 'dev', dev, 'onlink']);
}
