// Host settings that silently break the overlay: IP forwarding, strict
// reverse-path filtering (firewall verdicts: firewall-checks.ts), and the tx
// checksum offload combinations known to corrupt VXLAN (flannel#1279).
import { effectiveRpFilter, IP_FORWARD_REMEDY, rpFilterRemedy } from '../overlay/host-path.js';
import { ipv4ToNumber } from '../overlay/ipv4.js';
import { longestPrefixRoute } from '../overlay/routes.js';
import type { Check, Finding } from './types.js';

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
          remedy: IP_FORWARD_REMEDY,
        },
      ];

export const checkRpFilter: Check = (ctx) => {
  const out: Finding[] = [];
  const peers = (ctx.cluster ?? []).filter((n) => n.name !== ctx.self);
  const devices = new Set<string>();
  if (ctx.overlay) devices.add(ctx.overlay.name);
  if (ctx.underlay) devices.add(ctx.underlay.name);
  if (ctx.facts.links.some((l) => l.name === 'cni0')) devices.add('cni0');
  for (const dev of devices) {
    if (effectiveRpFilter(ctx.facts, dev) !== 1) continue;
    // Strict mode drops a packet whose source is not routed back out of the
    // device it came in on: find peers for which that is the case.
    const asymmetric: string[] = [];
    for (const p of peers) {
      const sources =
        dev === ctx.underlay?.name ? (p.publicIp ? [p.publicIp] : []) : dev === ctx.overlay?.name ? p.podCIDRs.map((c) => c.split('/')[0]!) : [];
      for (const src of sources) {
        const ip = ipv4ToNumber(src);
        const route = ip === null ? null : longestPrefixRoute(ctx.facts.routes, ip);
        if (!route || (route.ifname !== dev && route.type === 'unicast')) asymmetric.push(`${p.name} (${src} routed via ${route?.ifname ?? 'nothing'})`);
      }
    }
    const all = ctx.facts.sysctls.rpFilter.all ?? 0;
    out.push({
      id: 'rp-filter-strict',
      severity: asymmetric.length > 0 ? 'error' : 'warning',
      node: ctx.selfLabel,
      message:
        asymmetric.length > 0
          ? `strict rp_filter on ${dev} drops overlay traffic whose source is routed back another way: ${asymmetric.slice(0, 5).join(', ')}${asymmetric.length > 5 ? ` and ${asymmetric.length - 5} more` : ''}`
          : `strict rp_filter (1) on ${dev}: overlay traffic is dropped as soon as routing is asymmetric (multi-NIC nodes, --iface on a non-default NIC)`,
      evidence: { device: dev, [`net.ipv4.conf.${dev}.rp_filter`]: ctx.facts.sysctls.rpFilter[dev] ?? null, 'net.ipv4.conf.all.rp_filter': all, asymmetric },
      remedy: rpFilterRemedy(ctx.facts, dev),
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
