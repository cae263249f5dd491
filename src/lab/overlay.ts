// The overlay exactly as flannel's vxlan backend programs it on each node:
// flannel.<VNI> (nolearning, local = node IP, dev eth0, MTU = eth0 - 50) with
// the VTEP address x.y.z.0/32, a cni0 bridge x.y.z.1/24 with one pod behind it,
// and for every peer a route onlink, a permanent neighbor and an FDB entry to
// the peer's public-ip annotation.
import { VXLAN_OVERHEAD } from '../overlay/vtep.js';
import { createNetns } from './netns.js';
import type { Shell } from './exec.js';
import { UNDERLAY_MTU, sysctl, type UnderlayNode } from './topology.js';
import type { LabNode, NodeDocument } from './types.js';

export const CLUSTER_CIDR = '10.244.0.0/16';

/** Pinned VTEP MACs so evidence reads easily: 0e:fa:00:00:00:NN. */
export function vtepMac(index: number): string {
  return `0e:fa:00:00:00:${index.toString(16).padStart(2, '0')}`;
}

/** The MAC a node's VTEP had "before flannel restarted" (stale-vtep-mac). */
export function staleVtepMac(index: number): string {
  return `0e:fa:de:ad:00:${index.toString(16).padStart(2, '0')}`;
}

export function nodeDocument(node: Omit<LabNode, 'nodeDoc'>): NodeDocument {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      annotations: {
        'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: node.vni, VtepMAC: node.vtepMac }),
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': node.publicIp,
      },
      labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux' },
    },
    spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.name },
      ],
    },
  };
}

/** The node model (addresses, VTEP) before anything is programmed. */
export function planNode(shell: Shell, tag: string, u: UnderlayNode, port: number, vni: number): LabNode {
  const base = `10.244.${u.index}`;
  const pod = createNetns(shell, tag, `${u.name}-pod`);
  const node: Omit<LabNode, 'nodeDoc'> = {
    name: u.name,
    index: u.index,
    netns: u.netns,
    pod,
    podIp: `${base}.2`,
    iface: 'eth0',
    ip: u.ip,
    subnetPrefix: u.subnetPrefix,
    gateway: u.gateway,
    underlayMtu: UNDERLAY_MTU,
    overlayMtu: UNDERLAY_MTU - VXLAN_OVERHEAD,
    podCidr: `${base}.0/24`,
    vtepIp: `${base}.0`,
    vtepMac: vtepMac(u.index),
    vxlanDev: `flannel.${vni}`,
    vxlanPort: port,
    vni,
    publicIp: u.ip,
  };
  return { ...node, nodeDoc: nodeDocument(node) };
}

/** Re-derives the node document after a fault changed the model (e.g. public-ip). */
export function refreshNodeDoc(node: LabNode): void {
  node.nodeDoc = nodeDocument(node);
}

/** cni0 and the pod: what the CNI bridge plugin would have set up. */
export function programPod(node: LabNode): void {
  const ns = node.netns;
  const gw = node.podCidr.replace(/\.0\/24$/, '.1');
  ns.ip(['link', 'add', 'cni0', 'type', 'bridge']);
  ns.ip(['link', 'set', 'cni0', 'mtu', String(node.overlayMtu)]);
  ns.ip(['addr', 'add', `${gw}/24`, 'dev', 'cni0']);
  ns.ip(['link', 'set', 'cni0', 'up']);
  ns.ip([
    'link', 'add', `veth${node.name}0`, 'mtu', String(node.overlayMtu), 'type', 'veth',
    'peer', 'name', 'eth0', 'netns', node.pod.name,
  ]);
  ns.ip(['link', 'set', `veth${node.name}0`, 'master', 'cni0', 'up']);
  node.pod.ip(['link', 'set', 'eth0', 'mtu', String(node.overlayMtu), 'up']);
  node.pod.ip(['addr', 'add', `${node.podIp}/24`, 'dev', 'eth0']);
  node.pod.ip(['route', 'add', 'default', 'via', gw, 'dev', 'eth0']);
}

/**
 * flannel.<VNI> with its VTEP address, then up. Returns false when the device
 * cannot come up (its UDP port is held by someone else): flannel would exit
 * there, before programming any peer.
 */
export function programVtep(node: LabNode): boolean {
  const ns = node.netns;
  const dev = node.vxlanDev;
  ns.ip([
    'link', 'add', dev, 'address', node.vtepMac, 'mtu', String(node.overlayMtu), 'type', 'vxlan',
    'id', String(node.vni), 'local', node.ip, 'dev', 'eth0', 'dstport', String(node.vxlanPort), 'nolearning',
  ]);
  ns.ip(['addr', 'add', `${node.vtepIp}/32`, 'dev', dev]);
  return ns.ip(['link', 'set', dev, 'up'], { allowFail: true }).ok;
}

/** The three entries flannel adds when it learns a peer's lease. */
export function programPeer(node: LabNode, peer: LabNode): void {
  const ns = node.netns;
  const dev = node.vxlanDev;
  ns.ip(['neigh', 'replace', peer.vtepIp, 'lladdr', peer.vtepMac, 'dev', dev, 'nud', 'permanent']);
  ns.bridge(['fdb', 'replace', peer.vtepMac, 'dev', dev, 'dst', peer.publicIp, 'self', 'permanent']);
  ns.ip(['route', 'replace', peer.podCidr, 'via', peer.vtepIp, 'dev', dev, 'onlink']);
}

/** Programs every peer, as flannel does once its VTEP is up; `bringUp` first for a restarted flannel. */
export function startFlannel(node: LabNode, peers: LabNode[], bringUp: boolean): boolean {
  if (bringUp) node.netns.ip(['link', 'set', node.vxlanDev, 'up']);
  for (const peer of peers) programPeer(node, peer);
  return true;
}

export function enableForwarding(node: LabNode): void {
  sysctl(node.netns, 'net.ipv4.ip_forward', 1);
}
