// Cluster-wide consistency of flannel's annotations/leases: the faults that
// break every node's view of one node (Vagrant's shared 10.0.2.15, cloned
// VMs with one VtepMAC, a node flannel never ran on, VNI disagreements).
import type { ClusterNode } from '../cluster/types.js';
import { type Cidr, cidrContainsIp, cidrsOverlap, parseCidr, ipv4ToNumber } from '../overlay/ipv4.js';
import { publicIpRemedy } from '../overlay/port-holders.js';
import { clusterVni } from './identify.js';
import type { Check, Finding, InspectContext } from './types.js';

const DEFAULT_PORT = 8472;

interface BadRange {
  cidr: Cidr;
  severity: 'error' | 'warning';
  why: string;
}

const range = (text: string, severity: BadRange['severity'], why: string): BadRange => ({ cidr: parseCidr(text)!, severity, why });

// Addresses no peer can send VXLAN to. 10.0.2.15 is the address VirtualBox
// NAT gives every Vagrant VM; the rest of 10.0.2.0/24 is that NAT network.
const UNREACHABLE: BadRange[] = [
  range('10.0.2.15/32', 'error', "VirtualBox/Vagrant NAT address every VM has; peers cannot reach it"),
  range('10.0.2.0/24', 'warning', 'VirtualBox/Vagrant NAT network, usually reachable only from its own host'),
  range('127.0.0.0/8', 'error', 'loopback'),
  range('169.254.0.0/16', 'error', 'link-local, not routed between hosts'),
  range('0.0.0.0/8', 'error', '"this network", not a host address'),
  range('224.0.0.0/3', 'error', 'multicast/reserved, not a unicast host address'),
  range('172.17.0.0/16', 'warning', "Docker's default bridge (docker0), local to each host"),
  range('100.64.0.0/10', 'warning', 'carrier-grade NAT range, often not reachable between sites'),
];

function listed(names: string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

function fixPublicIp(n: ClusterNode): string {
  const ip = n.internalIPs.find((a) => a !== n.publicIp);
  if (n.overlay === 'calico') {
    return `set calico-node's IP autodetection on ${n.name} (IP_AUTODETECTION_METHOD, e.g. interface=<NIC>${ip ? ` holding ${ip}` : ''} or kubernetes-internal-ip) so its node IP is one peers reach`;
  }
  return ip
    ? publicIpRemedy(n.name, ip)
    : `run flannel on ${n.name} with --iface=<the NIC other nodes reach> or --public-ip=<its reachable address>`;
}

export const checkCluster: Check = (ctx) => {
  const nodes = ctx.cluster;
  if (!nodes) return [];
  const out: Finding[] = [];
  const fromEtcd = nodes.length > 0 && nodes.every((n) => n.publicIpSource === 'lease' || n.publicIpSource === null) && ctx.config !== null;

  for (const n of nodes) {
    if (n.annotationsMissing.length > 0 && n.overlay === 'calico') {
      out.push({
        id: 'annotations-missing',
        severity: 'error',
        node: n.name,
        message: `${n.name} has no Calico VXLAN ${listed(n.annotationsMissing)}: Felix has not set up its VTEP, so no node sends VXLAN to its pods`,
        evidence: { node: n.name, missing: n.annotationsMissing },
        remedy: `check calico-node on ${n.name} (kubectl -n calico-system get pods -o wide --field-selector spec.nodeName=${n.name}, then its logs) and that the IP pool has vxlanMode Always or CrossSubnet`,
      });
    } else if (n.annotationsMissing.length > 0) {
      out.push({
        id: 'annotations-missing',
        severity: 'error',
        node: n.name,
        message: `${n.name} lacks flannel's ${listed(n.annotationsMissing.map((a) => (fromEtcd ? a : `flannel.alpha.coreos.com/${a}`)))}: flannel has not registered it, so no node routes to its pods`,
        evidence: { node: n.name, missing: n.annotationsMissing },
        remedy: `check flannel's pod on ${n.name}: kubectl -n kube-flannel get pods -o wide --field-selector spec.nodeName=${n.name}, then its logs; flannel writes these when it starts`,
      });
    }
    // Calico assigns pod addresses from its own IPAM blocks, not from spec.podCIDR.
    if (n.podCIDRs.length === 0 && n.overlay !== 'calico') {
      out.push({
        id: 'podcidr-missing',
        severity: 'error',
        node: n.name,
        message: `${n.name} has no podCIDR: flannel's kube subnet manager cannot give it a subnet`,
        evidence: { node: n.name },
        remedy: 'run kube-controller-manager with --allocate-node-cidrs=true --cluster-cidr=<pod network> (kubeadm: --pod-network-cidr), or set spec.podCIDR on the node',
      });
    }
  }

  const wantType = (ctx.config?.backendType ?? 'vxlan').toLowerCase();
  for (const n of nodes) {
    if (n.backendType !== null && n.backendType.toLowerCase() !== wantType) {
      out.push({
        id: 'backend-type-mismatch',
        severity: 'error',
        node: n.name,
        message: `${n.name} runs flannel backend "${n.backendType}", the cluster uses "${wantType}": the two cannot reach each other's pods`,
        evidence: { node: n.name, backendType: n.backendType, clusterBackend: wantType },
        remedy: `make net-conf.json "Backend": {"Type": "${wantType}"} the same for every node (kube-flannel-cfg) and restart flannel on ${n.name}`,
      });
    }
  }

  groupBy(nodes, (n) => n.publicIp).forEach((group, ip) => {
    if (group.length < 2) return;
    for (const n of group) {
      const others = group.filter((o) => o !== n).map((o) => o.name);
      out.push({
        id: 'public-ip-duplicate',
        severity: 'error',
        node: n.name,
        message: `${n.name}'s public-ip ${ip} is also the public-ip of ${listed(others)}: peers send VXLAN for all of them to one address`,
        evidence: { node: n.name, publicIp: ip, sharedWith: others.slice(0, 20), count: group.length },
        remedy: fixPublicIp(n),
      });
    }
  });

  for (const n of nodes) {
    const ip = n.publicIp ? ipv4ToNumber(n.publicIp) : null;
    if (ip === null) continue;
    const bad = UNREACHABLE.find((r) => cidrContainsIp(r.cidr, ip));
    if (!bad) continue;
    out.push({
      id: 'public-ip-unreachable',
      severity: bad.severity,
      node: n.name,
      message: `${n.name}'s public-ip ${n.publicIp} is ${bad.why}`,
      evidence: { node: n.name, publicIp: n.publicIp, internalIPs: n.internalIPs },
      remedy: fixPublicIp(n),
    });
  }

  groupBy(nodes, (n) => n.vtepMac).forEach((group, mac) => {
    if (group.length < 2) return;
    for (const n of group) {
      out.push({
        id: 'vtep-mac-duplicate',
        severity: 'error',
        node: n.name,
        message: `${n.name}'s VtepMAC ${mac} is also ${listed(group.filter((o) => o !== n).map((o) => o.name))}'s (cloned machines?): FDB entries overwrite each other`,
        evidence: { node: n.name, vtepMac: mac, nodes: group.map((o) => o.name).slice(0, 20) },
        remedy:
          n.overlay === 'calico'
            ? `on ${n.name}: ip link del vxlan.calico and restart calico-node so Felix makes and records a fresh MAC (and give cloned machines a new /etc/machine-id)`
            : `on ${n.name}: ip link del flannel.${n.vni ?? 1} and restart flannel so it makes a fresh MAC (and give cloned machines a new /etc/machine-id)`,
      });
    }
  });

  const vni = clusterVni(nodes, ctx.config);
  for (const n of nodes) {
    if (n.vni !== null && n.vni !== vni) {
      out.push({
        id: 'vni-mismatch',
        severity: 'error',
        node: n.name,
        message: `${n.name} uses VNI ${n.vni}, the cluster uses ${vni}: its VXLAN frames are dropped by every other node`,
        evidence: { node: n.name, vni: n.vni, clusterVni: vni },
        remedy: `set net-conf.json "Backend": {"Type": "vxlan", "VNI": ${vni}} for every node and restart flannel on ${n.name}`,
      });
    }
  }
  const vx = ctx.overlay?.vxlan;
  // Calico's VNI lives in FelixConfiguration, not in node data: nothing to compare it with.
  const vniKnown = ctx.config?.vni != null || !nodes.some((n) => n.overlay === 'calico');
  if (ctx.overlay && vx) {
    if (vniKnown && vx.vni !== vni) {
      out.push({
        id: 'vxlan-vni-mismatch',
        severity: 'error',
        node: ctx.selfLabel,
        message: `${ctx.overlay.name} uses VNI ${vx.vni}, the cluster uses ${vni}`,
        evidence: { device: ctx.overlay.name, vni: vx.vni, clusterVni: vni },
        remedy: `ip link del ${ctx.overlay.name} and restart flannel with net-conf.json VNI ${vni}`,
      });
    }
    const port = ctx.config ? (ctx.config.port ?? DEFAULT_PORT) : null;
    if (port !== null && vx.port !== port) {
      out.push({
        id: 'vxlan-port-mismatch',
        severity: 'error',
        node: ctx.selfLabel,
        message: `${ctx.overlay.name} uses udp/${vx.port}, flannel's config says ${port}: this node and its peers send to different ports`,
        evidence: { device: ctx.overlay.name, port: vx.port, configPort: port },
        remedy: `ip link del ${ctx.overlay.name} and restart flannel so it recreates the device with port ${port}`,
      });
    }
  }

  out.push(...overlappingPodCidrs(nodes));
  return out;
};

function overlappingPodCidrs(nodes: ClusterNode[]): Finding[] {
  const all = nodes
    .flatMap((n) => n.podCIDRs.map((c) => ({ node: n.name, text: c, cidr: parseCidr(c)! })))
    .sort((a, b) => a.cidr.base - b.cidr.base || a.cidr.len - b.cidr.len);
  const out: Finding[] = [];
  for (let i = 1; i < all.length; i++) {
    const a = all[i - 1]!;
    const b = all[i]!;
    if (a.node === b.node || !cidrsOverlap(a.cidr, b.cidr)) continue;
    out.push({
      id: 'podcidr-overlap',
      severity: 'error',
      node: b.node,
      message: `${b.node}'s podCIDR ${b.text} overlaps ${a.node}'s ${a.text}: routes to one of them are wrong`,
      evidence: { node: b.node, podCIDR: b.text, otherNode: a.node, otherPodCIDR: a.text },
      remedy: `give ${b.node} its own range: kubectl delete node ${b.node} and let it re-register (kube-controller-manager allocates a new podCIDR)`,
    });
  }
  return out;
}

function groupBy<K>(nodes: ClusterNode[], key: (n: ClusterNode) => K | null): Map<K, ClusterNode[]> {
  const m = new Map<K, ClusterNode[]>();
  for (const n of nodes) {
    const k = key(n);
    if (k === null) continue;
    const list = m.get(k);
    if (list) list.push(n);
    else m.set(k, [n]);
  }
  return m;
}
