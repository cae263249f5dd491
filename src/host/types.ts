// Facts about one host's kernel state, read through rtnetlink and procfs.
// Pairing exchanges them (so they must stay JSON-serialisable: no bigint,
// no Buffer) and `inspect` checks them against the cluster's truth.

export interface VxlanInfo {
  vni: number;
  /** UDP destination port the device sends to and listens on. */
  port: number;
  /** IFLA_VXLAN_LOCAL: the source (public) IP, null when unset. */
  local: string | null;
  /** Remote or multicast group, null when unset (flannel: unset). */
  group: string | null;
  /** ifindex of the underlay device (IFLA_VXLAN_LINK), null when unset. */
  underlayIndex: number | null;
  learning: boolean;
  ttl: number;
  /** Outer UDP checksum on transmit (IFLA_VXLAN_UDP_CSUM). */
  udpCsum: boolean;
  /** Source port range used for entropy, [low, high]; [0, 0] = kernel default. */
  srcPortRange: [number, number];
  /** Metadata ("external") mode: serves every VNI, as OVS and Cilium devices do. */
  external: boolean;
}

export interface LinkInfo {
  ifindex: number;
  name: string;
  mac: string | null;
  mtu: number;
  up: boolean;
  /** rtnl link kind: 'vxlan', 'veth', 'bridge', 'dummy' ... null for plain NICs. */
  kind: string | null;
  /** ifindex of the bridge/bond this link is enslaved to. */
  masterIndex: number | null;
  vxlan?: VxlanInfo;
}

export interface AddrInfo {
  ifindex: number;
  ifname: string;
  family: 4 | 6;
  address: string;
  prefixLen: number;
}

export interface RouteInfo {
  /** 'default' or 'a.b.c.d/len'. */
  dst: string;
  gateway: string | null;
  ifindex: number | null;
  ifname: string | null;
  prefsrc: string | null;
  onlink: boolean;
  table: number;
  /** 'unicast', 'local', 'blackhole', 'unreachable', 'prohibit' ... */
  type: string;
}

export interface NeighInfo {
  ifindex: number;
  ifname: string;
  ip: string;
  mac: string | null;
  /** Lower-case NUD states, e.g. ['permanent'] or ['reachable']. */
  state: string[];
}

export interface FdbInfo {
  ifindex: number;
  ifname: string;
  mac: string;
  /** NDA_DST: the remote VTEP's underlay IP (vxlan entries). */
  dst: string | null;
  /** Per-entry overrides, null when the device's own values apply. */
  port: number | null;
  vni: number | null;
  permanent: boolean;
}

export type PortHolder =
  | { kind: 'vxlan'; device: string; ifindex: number; vni: number }
  /** `command`: the executable's name only, never its arguments (they may hold credentials). */
  | { kind: 'process'; pid: number; command: string; inode: number }
  | { kind: 'socket'; inode: number; uid: number };

export interface PortOwnership {
  port: number;
  /** Everything holding udp/port: VXLAN devices, processes, orphan sockets. */
  holders: PortHolder[];
}

export interface Sysctls {
  ipForward: boolean;
  /** net.ipv4.conf.<name>.rp_filter for 'all', 'default' and each relevant device. */
  rpFilter: Record<string, number>;
}

export interface FirewallRule {
  backend: 'nftables' | 'iptables';
  table: string;
  chain: string;
  /** 'input' | 'forward' | 'output' | ... (nft hook or iptables built-in chain, lower case). */
  hook: string | null;
  verdict: 'accept' | 'drop' | 'reject' | 'other';
  /**
   * L4 protocol the rule is restricted to ('udp', 'tcp', 'icmp' ...), null when
   * it matches any. A 'tcp' rule cannot drop VXLAN, whatever udpDports says.
   */
  l4proto: string | null;
  /** UDP destination ports the rule matches, empty when it matches any. */
  udpDports: number[];
  /** Human-readable rule as the tool prints it. */
  text: string;
  packets: number | null;
}

export interface FirewallFacts {
  /** Policy of the filter FORWARD chain(s), lower case; null when none exists. */
  forwardPolicy: 'accept' | 'drop' | null;
  rules: FirewallRule[];
  /** Why nothing could be read (tool missing), else null. */
  unavailable: string | null;
}

export interface OffloadFacts {
  ifname: string;
  txChecksum: boolean | null;
  txUdpTnlSegmentation: boolean | null;
  txUdpTnlCsumSegmentation: boolean | null;
  driver: string | null;
}

export interface HostFacts {
  hostname: string;
  /** The NIC vxprobe probes through (the underlay). */
  nic: {
    name: string;
    ifindex: number;
    mac: string | null;
    mtu: number;
    addresses: string[];
    /** How the NIC was picked: --iface, the default route, or a VXLAN device's underlay. */
    chosenBy: 'argument' | 'default-route' | 'vxlan-underlay';
  };
  links: LinkInfo[];
  addresses: AddrInfo[];
  routes: RouteInfo[];
  neighbors: NeighInfo[];
  fdb: FdbInfo[];
  ports: PortOwnership[];
  sysctls: Sysctls;
  firewall: FirewallFacts;
  offloads: OffloadFacts[];
}
