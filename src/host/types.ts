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

/**
 * One match of a firewall rule, normalised across nft and iptables so the
 * rule layer (src/overlay/firewall-eval.ts) can walk chains in order. Values
 * are strings so the facts stay JSON and travel to the peer unchanged.
 * See docs/architecture.md, "Firewall semantics".
 */
export interface FwMatch {
  /**
   * proto: L4 protocol names ('udp', 'tcp', 'icmp'); dport/sport: 'N' or 'LO-HI';
   * saddr/daddr: CIDRs; iif/oif: names ('eth*' / 'eth+' are prefixes);
   * ctstate: 'new', 'established', 'related', 'invalid', 'untracked', 'dnat', 'snat';
   * mark: 'VALUE/MASK' in hex; nfproto: 'ipv4'/'ipv6';
   * addrtype-dst/addrtype-src: 'LOCAL', 'UNICAST' ...;
   * unknown: a match the rule layer cannot evaluate (its text in values[0]).
   */
  field: 'proto' | 'dport' | 'sport' | 'saddr' | 'daddr' | 'iif' | 'oif' | 'ctstate' | 'mark' | 'nfproto' | 'addrtype-dst' | 'unknown';
  /** True for "!=" / "! -s": the match holds when the value is NOT among values. */
  neg: boolean;
  values: string[];
}

export interface FwAction {
  /**
   * accept/drop/reject end the walk of this hook's chain (accept: only this
   * base chain); return leaves the chain; jump/goto enter `target`;
   * continue = no verdict (counter, log, mark); unknown = a verdict the rule
   * layer cannot follow (queue, a verdict map it could not expand).
   */
  kind: 'accept' | 'drop' | 'reject' | 'return' | 'jump' | 'goto' | 'continue' | 'unknown';
  target: string | null;
}

export interface FwRule {
  /** All must hold (AND). */
  matches: FwMatch[];
  action: FwAction;
  /** The rule as the tool prints it (iptables-save line or rendered nft expression). */
  text: string;
  packets: number | null;
  /** nft rule handle, null for iptables. */
  handle: number | null;
}

export interface FwChain {
  /** Which tool the chain was read with; iptables-nft rules are read with iptables-save. */
  backend: 'nftables' | 'iptables-nft' | 'iptables-legacy';
  /** nft family ('ip', 'inet', 'ip6', 'bridge', 'netdev', 'arp'); iptables: 'ip'. */
  family: string;
  table: string;
  name: string;
  /** Base chains: the hook ('prerouting', 'input', 'forward' ...), else null. */
  hook: string | null;
  /** Base chains: the priority (iptables: raw -300, mangle -150, filter 0, security 50). */
  priority: number | null;
  /** nft chain type ('filter', 'nat', 'route'); iptables: the table name. */
  type: string | null;
  /** Base chains: the policy, else null. */
  policy: 'accept' | 'drop' | null;
  rules: FwRule[];
  /** Set when rules were cut (size limit): walking past the last one proves nothing. */
  truncated?: boolean;
}

export interface FirewallFacts {
  /**
   * Base chains on the input and forward paths (prerouting, input, forward;
   * filter type) and every chain they reach, each with all its rules in order.
   */
  chains: FwChain[];
  /** The commands the chains were read with. */
  sources: string[];
  /** What could not be read or was cut (tool failed, chains cut to the size limit); one line each. */
  gaps: string[];
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

/** The rtnetlink part of HostFacts: all that planning and sending probes need, read in a few ms. */
export type HostTables = Pick<HostFacts, 'hostname' | 'nic' | 'links' | 'addresses' | 'routes' | 'neighbors' | 'fdb'>;
