// Host firewall layouts found on real Kubernetes nodes, as the tools that
// make them would load them: the CentOS/RHEL default (iptables-legacy),
// firewalld's nft tables with flannel's port opened and the pod network in
// the trusted zone, Docker's chains with flannel's FLANNEL-FWD, kube-proxy's
// chains in iptables (nft backend) and nftables modes; and the faulty twins
// (Docker without flannel's rules, a REJECT before the ACCEPT). Used by the
// lab's 'host-layout' fault and to record the unit tests' rulesets.
import { UsageError } from '../errors.js';
import type { Netns } from './netns.js';

export const HOST_LAYOUTS = [
  'centos',
  'firewalld',
  'docker-flannel',
  'kube-proxy-iptables',
  'kube-proxy-nft',
  'docker-no-flannel',
  'reject-before-accept',
] as const;
export type HostLayout = (typeof HOST_LAYOUTS)[number];

/** Layouts that break the overlay (the rest must be judged healthy). */
export const FAULTY_LAYOUTS: ReadonlySet<HostLayout> = new Set(['docker-no-flannel', 'reject-before-accept']);

export interface LayoutParams {
  /** The pod network (flannel's Network). */
  podNet: string;
  /** flannel's VXLAN port. */
  port: number;
  /** vxprobe's control port, which an admin opens next to flannel's. */
  controlPort: number;
}

interface Loader {
  tool: 'iptables-legacy-restore' | 'iptables-restore' | 'nft';
  script: string;
  /** Removes exactly what the script made. */
  revert: string[][];
}

const centosFilter = (p: LayoutParams, rejectFirst: boolean) => `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -p udp -m udp --dport ${p.port} -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport ${p.controlPort} -j ACCEPT
-A INPUT -j REJECT --reject-with icmp-host-prohibited
${rejectFirst ? '-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n' : ''}-A FORWARD -s ${p.podNet} -j ACCEPT
-A FORWARD -d ${p.podNet} -j ACCEPT
${rejectFirst ? '' : '-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n'}COMMIT
`;

const dockerFilter = (p: LayoutParams, flannel: boolean) => `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
${flannel ? ':FLANNEL-FWD - [0:0]\n' : ''}-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
${flannel ? '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD\n' : ''}-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
${flannel ? `-A FLANNEL-FWD -s ${p.podNet} -m comment --comment "flanneld forward" -j ACCEPT\n-A FLANNEL-FWD -d ${p.podNet} -m comment --comment "flanneld forward" -j ACCEPT\n` : ''}COMMIT
`;

const kubeProxyFilter = (p: LayoutParams) => `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:FLANNEL-FWD - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A FLANNEL-FWD -s ${p.podNet} -m comment --comment "flanneld forward" -j ACCEPT
-A FLANNEL-FWD -d ${p.podNet} -m comment --comment "flanneld forward" -j ACCEPT
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/web:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "default/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
`;

/** kube-proxy's nftables mode (1.31): its own table, verdict maps keyed by address . protocol . port. */
const kubeProxyNft = () => `table ip kube-proxy {
  set cluster-ips {
    type ipv4_addr
    elements = { 10.96.0.1, 10.96.0.10, 10.96.0.50 }
  }
  map no-endpoint-services {
    type ipv4_addr . inet_proto . inet_service : verdict
    elements = { 10.96.0.50 . tcp . 80 : goto reject-chain }
  }
  map no-endpoint-nodeports {
    type inet_proto . inet_service : verdict
    elements = { tcp . 30080 : drop }
  }
  chain reject-chain {
    reject
  }
  chain filter-prerouting {
    type filter hook prerouting priority -110; policy accept;
  }
  chain filter-input {
    type filter hook input priority -110; policy accept;
    ct state new jump nodeport-endpoints-check
    ct state new jump service-endpoints-check
  }
  chain filter-forward {
    type filter hook forward priority -110; policy accept;
    ct state new jump service-endpoints-check
    ct state new jump cluster-ips-check
  }
  chain service-endpoints-check {
    ip daddr . meta l4proto . th dport vmap @no-endpoint-services
  }
  chain nodeport-endpoints-check {
    fib daddr type local ip protocol . th dport vmap @no-endpoint-nodeports
  }
  chain cluster-ips-check {
    ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
    ip daddr 10.96.0.0/12 drop comment "Drop traffic to unallocated ClusterIPs"
  }
}
`;

/** firewalld 1.3's inet table for the public zone (flannel and vxprobe ports opened) and the trusted zone (the pod network as a source). */
function firewalldNft(p: LayoutParams): string {
  const zoneParts = (prefix: string, zone: string) => ['pre', 'log', 'deny', 'allow', 'post'].map((part) => `${prefix}_${zone}_${part}`);
  const chains: string[] = [];
  const chain = (name: string, body: string[] = [], base = '') =>
    chains.push(`  chain ${name} {\n${base ? `    ${base}\n` : ''}${body.map((b) => `    ${b}\n`).join('')}  }`);
  const zone = (prefix: 'filter_IN' | 'filter_FWD', z: string, policies: string, allow: string[], last: string[]) => {
    for (const part of zoneParts(prefix, z)) chain(part, part.endsWith('_allow') ? allow : []);
    chain(`${prefix}_${z}`, [`jump ${policies}_pre`, ...zoneParts(prefix, z).map((c) => `jump ${c}`), `jump ${policies}_post`, ...last]);
  };
  for (const pol of ['filter_INPUT_POLICIES_pre', 'filter_INPUT_POLICIES_post', 'filter_FORWARD_POLICIES_pre', 'filter_FORWARD_POLICIES_post']) chain(pol);
  chain('raw_PREROUTING', ['icmpv6 type { nd-router-advert, nd-neighbor-solicit } accept', 'meta nfproto ipv6 fib saddr . mark . iif oif missing drop'], 'type filter hook prerouting priority -290; policy accept;');
  chain('filter_INPUT', ['ct state { established, related } accept', 'ct status dnat accept', 'iifname "lo" accept', 'ct state invalid drop', 'jump filter_INPUT_ZONES', 'reject with icmpx admin-prohibited'], 'type filter hook input priority 10; policy accept;');
  chain('filter_FORWARD', ['ct state { established, related } accept', 'ct status dnat accept', 'iifname "lo" accept', 'ct state invalid drop', 'ip6 daddr { ::/96, ::ffff:0.0.0.0/96, 2002::/24, 2002:a00::/24, 2002:7f00::/24, 2002:a9fe::/32, 2002:ac10::/28, 2002:c0a8::/32, 2002:e000::/19 } reject with icmpv6 addr-unreachable', 'jump filter_FORWARD_ZONES', 'reject with icmpx admin-prohibited'], 'type filter hook forward priority 10; policy accept;');
  chain('filter_INPUT_ZONES', [`ip saddr ${p.podNet} goto filter_IN_trusted`, 'iifname "eth0" goto filter_IN_public', 'goto filter_IN_public']);
  chain('filter_FORWARD_ZONES', [`ip saddr ${p.podNet} goto filter_FWD_trusted`, 'iifname "eth0" goto filter_FWD_public', 'goto filter_FWD_public']);
  const allowPublic = [
    'tcp dport 22 ct state { new, untracked } accept',
    'ip6 daddr fe80::/64 udp dport 546 ct state { new, untracked } accept',
    `udp dport ${p.port} ct state { new, untracked } accept`,
    `tcp dport ${p.controlPort} ct state { new, untracked } accept`,
  ];
  zone('filter_IN', 'public', 'filter_INPUT_POLICIES', allowPublic, ['meta l4proto { icmp, ipv6-icmp } accept', 'reject with icmpx admin-prohibited']);
  zone('filter_IN', 'trusted', 'filter_INPUT_POLICIES', [], ['accept']);
  zone('filter_FWD', 'public', 'filter_FORWARD_POLICIES', [], ['reject with icmpx admin-prohibited']);
  zone('filter_FWD', 'trusted', 'filter_FORWARD_POLICIES', [], ['accept']);
  return `table inet firewalld {\n${chains.join('\n')}\n}\n`;
}

function loaderFor(layout: HostLayout, p: LayoutParams): Loader {
  const flushIptNft = [['nft', 'delete', 'table', 'ip', 'filter']];
  switch (layout) {
    case 'centos':
      return { tool: 'iptables-legacy-restore', script: centosFilter(p, false), revert: [['iptables-legacy-restore']] };
    case 'reject-before-accept':
      return { tool: 'iptables-legacy-restore', script: centosFilter(p, true), revert: [['iptables-legacy-restore']] };
    case 'docker-flannel':
      return { tool: 'iptables-restore', script: dockerFilter(p, true), revert: flushIptNft };
    case 'docker-no-flannel':
      return { tool: 'iptables-restore', script: dockerFilter(p, false), revert: flushIptNft };
    case 'kube-proxy-iptables':
      return { tool: 'iptables-restore', script: kubeProxyFilter(p), revert: flushIptNft };
    case 'kube-proxy-nft':
      return { tool: 'nft', script: kubeProxyNft(), revert: [['nft', 'delete', 'table', 'ip', 'kube-proxy']] };
    case 'firewalld':
      return { tool: 'nft', script: firewalldNft(p), revert: [['nft', 'delete', 'table', 'inet', 'firewalld']] };
  }
}

/** An empty filter table: what iptables-legacy-restore loads to undo a layout. */
const EMPTY_FILTER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

export function layoutScript(layout: HostLayout, p: LayoutParams): { tool: string; script: string } {
  const l = loaderFor(layout, p);
  return { tool: l.tool, script: l.script };
}

export function applyLayout(ns: Netns, layout: HostLayout, p: LayoutParams): void {
  if (!HOST_LAYOUTS.includes(layout)) throw new UsageError(`unknown host layout "${layout}"; known: ${HOST_LAYOUTS.join(', ')}`);
  const l = loaderFor(layout, p);
  ns.run(l.tool === 'nft' ? ['nft', '-f', '-'] : [l.tool], { input: l.script });
}

export function revertLayout(ns: Netns, layout: HostLayout, p: LayoutParams): void {
  for (const argv of loaderFor(layout, p).revert) {
    ns.run(argv, { allowFail: true, ...(argv[0] === 'iptables-legacy-restore' ? { input: EMPTY_FILTER } : {}) });
  }
}
