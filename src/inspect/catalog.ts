// Every finding id `inspect` can report, with what triggers it: the stable
// vocabulary of the JSON output (`findings[].id`). A unit test keeps this
// list and the checks in step.
import type { Severity } from './types.js';

export interface FindingKind {
  severity: Severity | 'error|warning';
  trigger: string;
}

export const FINDING_CATALOG = {
  // The overlay's VXLAN device (flannel.<VNI>, vxlan.calico)
  'vxlan-device-missing': { severity: 'error', trigger: 'no VXLAN device named flannel.<VNI> or vxlan.calico (nor one with the cluster VNI)' },
  'vxlan-device-down': { severity: 'error', trigger: 'the overlay device is not up' },
  'vxlan-mtu': { severity: 'error', trigger: 'device MTU > underlay MTU - 50' },
  'vxlan-mtu-low': { severity: 'info', trigger: 'device MTU < underlay MTU - 50' },
  'vxlan-learning': { severity: 'warning', trigger: 'learning on (flannel uses nolearning)' },
  'vxlan-no-local': { severity: 'warning', trigger: 'IFLA_VXLAN_LOCAL unset: the source IP follows the route' },
  'vxlan-local-not-held': { severity: 'error', trigger: 'IFLA_VXLAN_LOCAL is not an address of this host' },
  'vxlan-stale-device': { severity: 'warning', trigger: 'another flannel.N device, or a VXLAN device that is down' },
  'vxlan-vni-mismatch': { severity: 'error', trigger: "the device's VNI differs from the cluster's" },
  'vxlan-port-mismatch': { severity: 'error', trigger: "the device's port differs from flannel's config Port (etcd config only)" },
  // Who holds the VXLAN port
  'port-held-by-process': { severity: 'error|warning', trigger: 'a program (pid, command) or an unowned socket holds the UDP port (error on the overlay port)' },
  'port-held-by-vxlan': { severity: 'error', trigger: "another VXLAN device holds the overlay port and flannel's does not" },
  'port-multiple-vxlan': { severity: 'error|warning', trigger: 'several VXLAN devices share one port (error for the overlay port or a shared VNI)' },
  'port-not-listening': { severity: 'error', trigger: 'the device is up but no VXLAN socket holds its port' },
  // Host settings
  'ip-forward-off': { severity: 'error', trigger: 'net.ipv4.ip_forward = 0' },
  'rp-filter-strict': { severity: 'error|warning', trigger: 'effective rp_filter = 1 on the overlay device, underlay or cni0 (error when a peer is routed back another way)' },
  'forward-rule-blocks-pods': { severity: 'error', trigger: "walking the forward chains in order, a DROP/REJECT rule ends pod traffic from the peers' pod networks" },
  'forward-policy-drop': { severity: 'error', trigger: "walking the forward chains in order, pod traffic from the peers' pod networks falls through to a policy DROP" },
  'input-rule-blocks-vxlan': { severity: 'error', trigger: 'walking the input chains in order, a DROP/REJECT rule ends VXLAN from a peer to udp/<overlay port>' },
  'input-policy-drop': { severity: 'error', trigger: 'walking the input chains in order, VXLAN from a peer to udp/<overlay port> falls through to a policy DROP' },
  'firewall-undecided': { severity: 'info', trigger: 'the verdict depends on matches vxprobe cannot evaluate (sets it cannot read, marks, modules): named, not blamed' },
  'firewall-unreadable': { severity: 'info', trigger: 'neither nft nor iptables could be read, or part of the ruleset was not (a tool failed, chains cut)' },
  'offload-vmxnet3': { severity: 'warning', trigger: 'tx checksum offload on the device over a vmxnet3 NIC' },
  'offload-tx-csum-nat': { severity: 'warning', trigger: 'tx checksum offload on the device while this node is reached through NAT (flannel#1279)' },
  // This node's own registration
  'self-unknown': { severity: 'warning', trigger: 'this host matches no node by name, VtepMAC, InternalIP, public-ip or podCIDR' },
  'self-vtep-mac': { severity: 'error', trigger: "backend-data VtepMAC differs from the device's MAC" },
  'self-public-ip-not-local': { severity: 'error', trigger: 'public-ip is not an address this host holds' },
  'self-public-ip-nat': { severity: 'info', trigger: 'public-ip-overwrite is not local: reached through NAT' },
  // Each peer's entries in this node's tables
  'peer-route-missing': { severity: 'error', trigger: "no route to the peer's podCIDR" },
  'peer-route-wrong': { severity: 'error', trigger: 'the route is not "via <VTEP ip> dev flannel.N onlink"' },
  'peer-neigh-missing': { severity: 'error', trigger: "no neighbor entry for the peer's VTEP ip on the device" },
  'peer-neigh-mac': { severity: 'error', trigger: "the neighbor MAC differs from the peer's VtepMAC (stale)" },
  'peer-fdb-missing': { severity: 'error', trigger: "no FDB entry for the peer's VtepMAC on the device" },
  'peer-fdb-dst': { severity: 'error', trigger: "the FDB entry's dst differs from the peer's public-ip" },
  'peer-public-ip-not-internal': { severity: 'warning', trigger: "the peer's public-ip is none of its InternalIPs" },
  'fdb-stale': { severity: 'warning', trigger: 'FDB entries on the device for MACs of no node' },
  'neigh-stale': { severity: 'warning', trigger: 'permanent neighbor entries on the device for no VTEP ip' },
  'route-stale': { severity: 'warning', trigger: "routes via the device to no podCIDR and via no Calico node's tunnel address" },
  // Cluster-wide
  'annotations-missing': { severity: 'error', trigger: "a node lacks flannel's backend-type/backend-data/public-ip (or a lease field), or Calico's VXLAN tunnel address/MAC" },
  'podcidr-missing': { severity: 'error', trigger: 'a flannel node has no podCIDR (Calico nodes use IPAM blocks instead)' },
  'podcidr-overlap': { severity: 'error', trigger: "two nodes' podCIDRs overlap" },
  'backend-type-mismatch': { severity: 'error', trigger: "a node's backend-type differs from the cluster's (vxlan)" },
  'public-ip-duplicate': { severity: 'error', trigger: 'two or more nodes share one public-ip (Vagrant 10.0.2.15)' },
  'public-ip-unreachable': { severity: 'error|warning', trigger: 'public-ip in 10.0.2.15, loopback, link-local, 0/8, multicast (error) or 10.0.2.0/24, 172.17/16, 100.64/10 (warning)' },
  'vtep-mac-duplicate': { severity: 'error', trigger: 'two or more nodes share one VtepMAC' },
  'vni-mismatch': { severity: 'error', trigger: "a node's backend-data VNI differs from the cluster's" },
} as const satisfies Record<string, FindingKind>;

/** Every id a finding can carry: the checks cannot emit one the catalog lacks. */
export type FindingId = keyof typeof FINDING_CATALOG;
