// What a host does to overlay traffic besides its VTEP tables: does its
// firewall accept VXLAN from a peer, does it forward decapsulated pod
// traffic (ip_forward, FORWARD chains), and its reverse-path filter. One
// question, one answer and one remedy text per fault, for `pair` and `inspect`
// alike (docs/architecture.md, "The rule layer").
import type { HostFacts, LinkInfo } from '../host/types.js';
import { type FirewallAnswer, type FwStep, type PacketQuestion, evaluateFirewall } from './firewall-eval.js';
import { type Cidr, coveringCidr, formatCidr, ipv4ToNumber, parseCidr } from './ipv4.js';

/** rp_filter in force on a device: the kernel uses max(all, device); null when the device's value was not read. */
export function effectiveRpFilter(facts: HostFacts, device: string): number | null {
  const own = facts.sysctls.rpFilter[device];
  if (own === undefined) return null;
  return Math.max(facts.sysctls.rpFilter.all ?? 0, own);
}

export const IP_FORWARD_REMEDY =
  'sysctl -w net.ipv4.ip_forward=1, and persist it: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-kubernetes.conf (find the file that resets it with `sysctl --system`)';

export function rpFilterRemedy(facts: HostFacts, device: string): string {
  const all = facts.sysctls.rpFilter.all ?? 0;
  // The kernel applies max(all, device): both must be loose when all is strict.
  const set = all === 1 ? `net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.${device}.rp_filter=2` : `net.ipv4.conf.${device}.rp_filter=2`;
  return `sysctl -w ${set} (loose); persist it in /etc/sysctl.d/`;
}

function localAddrs(facts: HostFacts): number[] {
  return facts.addresses.filter((a) => a.family === 4).map((a) => ipv4ToNumber(a.address)).filter((n): n is number => n !== null);
}

/** Would a VXLAN datagram from `peerIp` (null: any peer) to udp/`port` on `localIp` pass this host's INPUT path? */
export function vxlanInputAnswer(facts: HostFacts, peerIp: string | null, localIp: string, port: number): FirewallAnswer {
  const q: PacketQuestion = {
    path: 'input',
    proto: 'udp',
    saddr: peerIp === null ? null : parseCidr(peerIp),
    daddr: parseCidr(localIp),
    sport: null,
    dport: port,
    iif: facts.nic.name,
    oif: null,
    localAddrs: localAddrs(facts),
  };
  return evaluateFirewall(facts.firewall, q);
}

/** The pod networks as seen from this host's tables: peers' (routes via the VTEP) and its own (cni0's subnet). */
export function podNetworksSeen(facts: HostFacts, overlay: LinkInfo): { peers: Cidr | null; own: Cidr | null } {
  const peerNets = facts.routes
    .filter((r) => r.ifindex === overlay.ifindex && r.gateway !== null && r.dst !== 'default')
    .map((r) => parseCidr(r.dst))
    .filter((c): c is Cidr => c !== null);
  const bridge = facts.addresses.find((a) => a.ifname === 'cni0' && a.family === 4);
  if (bridge) return { peers: coveringCidr(peerNets), own: parseCidr(`${bridge.address}/${bridge.prefixLen}`) };
  // No pod bridge: the VTEP's address in a subnet as long as the peers' (flannel: x.y.z.0 in x.y.z.0/24).
  const vtep = facts.addresses.find((a) => a.ifindex === overlay.ifindex && a.family === 4);
  const len = peerNets[0]?.len;
  return { peers: coveringCidr(peerNets), own: vtep && len !== undefined ? parseCidr(`${vtep.address}/${len}`) : null };
}

/** Would a pod packet arriving from a peer's pod network over `overlay` be forwarded to this host's pods? */
export function podForwardAnswer(facts: HostFacts, overlay: LinkInfo): FirewallAnswer {
  const nets = podNetworksSeen(facts, overlay);
  const q: PacketQuestion = {
    path: 'forward',
    proto: null,
    saddr: nets.peers,
    daddr: nets.own,
    sport: null,
    dport: null,
    iif: overlay.name,
    oif: facts.links.some((l) => l.name === 'cni0') ? 'cni0' : null,
    localAddrs: localAddrs(facts),
  };
  return evaluateFirewall(facts.firewall, q);
}

/** The pod network text used in remedies: the smallest CIDR holding both pod networks. */
export function podNetworkText(facts: HostFacts, overlay: LinkInfo): string {
  const nets = podNetworksSeen(facts, overlay);
  const all = [nets.peers, nets.own].filter((c): c is Cidr => c !== null);
  const cover = coveringCidr(all);
  return cover ? formatCidr(cover) : '<pod network>';
}

/** The command that deletes the rule behind `s`. */
export function deleteRuleCommand(s: FwStep): string {
  const rule = s.rule!;
  if (s.backend !== 'nftables') {
    const tool = s.backend === 'iptables-legacy' ? 'iptables-legacy' : 'iptables';
    return `${tool} -t ${s.table} -D ${s.chain} ${rule.text.replace(/^-A\s+\S+\s*/, '')}`.trim();
  }
  if (rule.handle !== null) return `nft delete rule ${s.family} ${s.table} ${s.chain} handle ${rule.handle}`;
  return `nft -a list chain ${s.family} ${s.table} ${s.chain}, then nft delete rule ${s.family} ${s.table} ${s.chain} handle <N> for "${rule.text}"`;
}

function acceptCommand(s: FwStep, iptMatch: string, nftMatch: string): string {
  if (s.backend !== 'nftables') return `${s.backend === 'iptables-legacy' ? 'iptables-legacy' : 'iptables'} -t ${s.table} -I ${s.chain} ${iptMatch} -j ACCEPT`;
  return `nft insert rule ${s.family} ${s.table} ${s.chain} ${nftMatch} accept`;
}

/** The one remedy for "this host's firewall drops VXLAN to udp/port". */
export function inputDropRemedy(s: FwStep, port: number): string {
  const accept = acceptCommand(s, `-p udp --dport ${port}`, `udp dport ${port}`);
  if (!s.rule) return `accept udp/${port} before the ${s.chain} policy DROP: ${accept}`;
  return `${deleteRuleCommand(s)}, or accept udp/${port} before it: ${accept}`;
}

/** The one remedy for "this host's firewall does not forward pod traffic". */
export function forwardDropRemedy(s: FwStep, podNet: string): string {
  const accept = `${acceptCommand(s, `-s ${podNet}`, `ip saddr ${podNet}`)} && ${acceptCommand(s, `-d ${podNet}`, `ip daddr ${podNet}`)}`;
  if (!s.rule) return `accept the pod network before the ${s.chain} policy DROP (flannel adds these itself when it runs): ${accept}`;
  return `${deleteRuleCommand(s)}, or accept the pod network before it: ${accept}`;
}
