// Host settings that silently break the overlay: IP forwarding, strict
// reverse-path filtering, FORWARD/INPUT firewall verdicts, and the tx
// checksum offload combinations known to corrupt VXLAN (flannel#1279).
import type { FirewallRule } from '../host/types.js';
import { deleteRuleCommand, hitsPodTraffic, hitsVxlanPort, parseRuleSelectors } from './firewall-rules.js';
import { type Cidr, coveringCidr, formatCidr, parseCidr, parseIpv4 } from './ipv4.js';
import { lookupRoute } from './routes.js';
import type { Check, Finding, InspectContext } from './types.js';

export const checkIpForward: Check = (ctx) =>
  ctx.facts.sysctls.ipForward
    ? []
    : [
        {
          id: 'ip-forward-off',
          severity: 'error',
          node: ctx.selfLabel,
          message: 'net.ipv4.ip_forward is 0: the node does not forward between cni0 and the VXLAN device, so pods cannot reach other nodes',
          evidence: { 'net.ipv4.ip_forward': 0 },
          remedy:
            'sysctl -w net.ipv4.ip_forward=1, and persist it: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-kubernetes.conf (find the file that resets it with `sysctl --system`)',
        },
      ];

function effectiveRp(ctx: InspectContext, dev: string): number | null {
  const table = ctx.facts.sysctls.rpFilter;
  const all = table.all ?? 0;
  const own = table[dev];
  if (own === undefined) return null;
  return Math.max(all, own);
}

export const checkRpFilter: Check = (ctx) => {
  const out: Finding[] = [];
  const peers = (ctx.cluster ?? []).filter((n) => n.name !== ctx.self);
  const devices = new Set<string>();
  if (ctx.overlay) devices.add(ctx.overlay.name);
  if (ctx.underlay) devices.add(ctx.underlay.name);
  if (ctx.facts.links.some((l) => l.name === 'cni0')) devices.add('cni0');
  for (const dev of devices) {
    if (effectiveRp(ctx, dev) !== 1) continue;
    // Strict mode drops a packet whose source is not routed back out of the
    // device it came in on: find peers for which that is the case.
    const asymmetric: string[] = [];
    for (const p of peers) {
      const sources =
        dev === ctx.underlay?.name ? (p.publicIp ? [p.publicIp] : []) : dev === ctx.overlay?.name ? p.podCIDRs.map((c) => c.split('/')[0]!) : [];
      for (const src of sources) {
        const ip = parseIpv4(src);
        const route = ip === null ? null : lookupRoute(ctx.facts.routes, ip);
        if (!route || (route.ifname !== dev && route.type === 'unicast')) asymmetric.push(`${p.name} (${src} routed via ${route?.ifname ?? 'nothing'})`);
      }
    }
    const all = ctx.facts.sysctls.rpFilter.all ?? 0;
    const setting = all === 1 ? 'net.ipv4.conf.all.rp_filter' : `net.ipv4.conf.${dev}.rp_filter`;
    out.push({
      id: 'rp-filter-strict',
      severity: asymmetric.length > 0 ? 'error' : 'warning',
      node: ctx.selfLabel,
      message:
        asymmetric.length > 0
          ? `strict rp_filter on ${dev} drops overlay traffic whose source is routed back another way: ${asymmetric.slice(0, 5).join(', ')}${asymmetric.length > 5 ? ` and ${asymmetric.length - 5} more` : ''}`
          : `strict rp_filter (1) on ${dev}: overlay traffic is dropped as soon as routing is asymmetric (multi-NIC nodes, --iface on a non-default NIC)`,
      evidence: { device: dev, [`net.ipv4.conf.${dev}.rp_filter`]: ctx.facts.sysctls.rpFilter[dev] ?? null, 'net.ipv4.conf.all.rp_filter': all, asymmetric },
      remedy: `sysctl -w ${setting}=2 (loose)${all === 1 ? ` and net.ipv4.conf.${dev}.rp_filter=2` : ''}; persist it in /etc/sysctl.d/`,
    });
  }
  return out;
};

/** The pod network: etcd's Network, else every node's podCIDR, else overlay routes. */
export function podNetworks(ctx: InspectContext): Cidr[] {
  const net = ctx.config?.network ? parseCidr(ctx.config.network) : null;
  if (net) return [net];
  const cidrs = (ctx.cluster ?? []).flatMap((n) => n.podCIDRs).map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null);
  if (cidrs.length > 0) return cidrs;
  return ctx.facts.routes
    .filter((r) => ctx.overlay && r.ifindex === ctx.overlay.ifindex)
    .map((r) => parseCidr(r.dst))
    .filter((c): c is Cidr => c !== null);
}

function chainKey(r: FirewallRule): string {
  return `${r.backend}\u0000${r.table}\u0000${r.chain}`;
}

export const checkFirewall: Check = (ctx) => {
  const fw = ctx.facts.firewall;
  const out: Finding[] = [];
  if (fw.unavailable) {
    out.push({ id: 'firewall-unreadable', severity: 'info', node: ctx.selfLabel, message: `firewall rules not checked: ${fw.unavailable}`, evidence: { reason: fw.unavailable }, remedy: 'install nftables/iptables or run as root to include them' });
    return out;
  }
  const nets = podNetworks(ctx);
  const ifaces = [ctx.overlay?.name ?? 'flannel.1', 'cni0'];
  const port = ctx.overlay?.vxlan?.port ?? 8472;
  const acceptedPods = new Set<string>();
  const acceptedPort = new Set<string>();
  const cover = coveringCidr(nets);
  const netText = cover ? formatCidr(cover) : '<pod network>';
  let anyPodAccept = false;
  for (const rule of fw.rules) {
    const sel = parseRuleSelectors(rule);
    const key = chainKey(rule);
    if (rule.hook === 'forward' && nets.length > 0) {
      const hits = hitsPodTraffic(sel, nets, ifaces);
      if (rule.verdict === 'accept' && hits) {
        acceptedPods.add(key);
        anyPodAccept = true;
      } else if ((rule.verdict === 'drop' || rule.verdict === 'reject') && hits && !acceptedPods.has(key)) {
        out.push({
          id: 'forward-rule-blocks-pods',
          severity: 'error',
          node: ctx.selfLabel,
          message: `${rule.backend} ${rule.table}/${rule.chain} ${rule.verdict === 'reject' ? 'REJECTs' : 'DROPs'} forwarded pod traffic (${netText}); no ACCEPT of the pod network precedes it among the rules read`,
          evidence: { backend: rule.backend, table: rule.table, chain: rule.chain, rule: rule.text, packets: rule.packets },
          remedy: deleteRuleCommand(rule, sel),
        });
      }
    }
    if (rule.hook === 'input') {
      const hits = hitsVxlanPort(rule, sel, port, ctx.underlay?.name ?? null);
      if (rule.verdict === 'accept' && hits) acceptedPort.add(key);
      else if ((rule.verdict === 'drop' || rule.verdict === 'reject') && hits && !acceptedPort.has(key)) {
        out.push({
          id: 'input-rule-blocks-vxlan',
          severity: 'error',
          node: ctx.selfLabel,
          message: `${rule.backend} ${rule.table}/${rule.chain} ${rule.verdict === 'reject' ? 'REJECTs' : 'DROPs'} incoming udp/${port} (no ACCEPT of it precedes it among the rules read): VXLAN from peers never reaches ${ctx.overlay?.name ?? 'the VTEP'}`,
          evidence: { backend: rule.backend, table: rule.table, chain: rule.chain, rule: rule.text, port, packets: rule.packets },
          remedy: `${deleteRuleCommand(rule, sel)}   (or accept it first: iptables -I INPUT -p udp --dport ${port} -j ACCEPT)`,
        });
      }
    }
  }
  if (fw.forwardPolicy === 'drop' && !anyPodAccept && nets.length > 0) {
    const nft = fw.rules.some((r) => r.backend === 'nftables' && r.hook === 'forward') && !fw.rules.some((r) => r.backend === 'iptables' && r.hook === 'forward');
    const net = netText;
    out.push({
      id: 'forward-policy-drop',
      // A warning: flannel's own ACCEPTs sit behind a jump (FLANNEL-FWD) that
      // the collected rules do not follow, so their absence is not proven.
      severity: 'warning',
      node: ctx.selfLabel,
      message: `the FORWARD policy is DROP and no visible rule accepts the pod network ${netText}: unless flannel's FLANNEL-FWD accepts it, traffic between cni0 and ${ctx.overlay?.name ?? 'the VXLAN device'} is dropped`,
      evidence: { forwardPolicy: 'drop', podNetwork: nets.map(formatCidr) },
      remedy: nft
        ? `nft insert rule inet filter forward ip saddr ${net} accept; nft insert rule inet filter forward ip daddr ${net} accept (adjust table/chain to yours)`
        : `iptables -I FORWARD -s ${net} -j ACCEPT && iptables -I FORWARD -d ${net} -j ACCEPT (flannel adds these itself when it runs)`,
    });
  }
  return out;
};

export const checkOffloads: Check = (ctx) => {
  const out: Finding[] = [];
  const dev = ctx.overlay;
  if (!dev) return out;
  const mine = ctx.facts.offloads.find((o) => o.ifname === dev.name);
  const under = ctx.underlay ? ctx.facts.offloads.find((o) => o.ifname === ctx.underlay!.name) : undefined;
  if (!mine || mine.txChecksum !== true) return out;
  const remedy = `ethtool -K ${dev.name} tx-checksum-ip-generic off; persist with a udev rule: SUBSYSTEM=="net", ACTION=="add|change|move", ENV{INTERFACE}=="${dev.name}", RUN+="/usr/sbin/ethtool -K ${dev.name} tx-checksum-ip-generic off"`;
  if (under?.driver === 'vmxnet3') {
    out.push({
      id: 'offload-vmxnet3',
      severity: 'warning',
      node: ctx.selfLabel,
      message: `tx checksum offload is on for ${dev.name} over a vmxnet3 NIC (${under.ifname}): VMware's vmxnet3 corrupts checksums of VXLAN on ports other than 4789, so TCP between pods stalls while ping works`,
      evidence: { device: dev.name, txChecksum: true, underlay: under.ifname, driver: 'vmxnet3', port: dev.vxlan?.port ?? null, txUdpTnlSegmentation: under.txUdpTnlSegmentation, txUdpTnlCsumSegmentation: under.txUdpTnlCsumSegmentation },
      remedy,
    });
  }
  const self = ctx.cluster?.find((n) => n.name === ctx.self);
  const held = new Set(ctx.facts.addresses.map((a) => a.address));
  if (self?.publicIp && (self.publicIpSource === 'public-ip-overwrite' || !held.has(self.publicIp))) {
    out.push({
      id: 'offload-tx-csum-nat',
      severity: 'warning',
      node: ctx.selfLabel,
      message: `tx checksum offload is on for ${dev.name} while this node is reached through NAT (public-ip ${self.publicIp} is not a local address): NAT-ed VXLAN gets corrupted UDP checksums (flannel#1279)`,
      evidence: { device: dev.name, txChecksum: true, publicIp: self.publicIp, publicIpSource: self.publicIpSource },
      remedy,
    });
  }
  return out;
};
