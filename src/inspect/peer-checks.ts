// Cluster truth vs this node's VTEP tables, peer by peer, exactly as
// flannel programs them: route <podCIDR> via <vtep ip> dev flannel.N onlink,
// a permanent neighbor <vtep ip> -> VtepMAC, and an FDB entry VtepMAC ->
// dst <public-ip>. Calico's Felix programs the same three on vxlan.calico,
// but its VTEP address is the node's recorded tunnel address and its routes
// are per IPAM block (not in node data), so they are found by their gateway
// (docs/calico-vxlan.md). Then the reverse: entries no node accounts for.
import type { ClusterNode } from '../cluster/types.js';
import { formatIpv4, parseCidr } from '../overlay/ipv4.js';
import { checkPeerTables, indexTables, type TableIndex } from '../overlay/vtep-tables.js';
import type { FindingId } from './catalog.js';
import type { Check, Finding, InspectContext } from './types.js';

/** flannel's VTEP address for a lease: the subnet's network address (10.244.1.0). */
export function vtepIpOf(podCidr: string): string | null {
  const c = parseCidr(podCidr);
  return c ? formatIpv4(c.base) : null;
}

function isVxlanPeer(n: ClusterNode): boolean {
  if (n.overlay === 'calico') return n.vtepIp != null && n.vtepMac !== null;
  return (n.backendType === null || n.backendType === 'vxlan') && n.vtepMac !== null && n.podCIDRs.length > 0;
}

/** The peer's VTEP address: recorded (Calico's tunnel address), else flannel's podCIDR network address. */
export function peerVtepIp(n: ClusterNode): string | null {
  if (n.vtepIp != null) return n.vtepIp;
  const cidr = n.podCIDRs[0];
  return cidr === undefined ? null : vtepIpOf(cidr);
}

export const checkPeers: Check = (ctx) => {
  const dev = ctx.overlay;
  if (!dev || !ctx.cluster) return [];
  const t = indexTables(ctx.facts, ctx.selfLabel, dev);
  const out: Finding[] = [];
  for (const p of ctx.cluster) {
    if (p.name === ctx.self || !isVxlanPeer(p)) continue;
    const calico = p.overlay === 'calico';
    const faults = checkPeerTables(t, {
      name: p.name,
      vtepIp: peerVtepIp(p)!,
      mac: p.vtepMac!,
      publicIps: p.publicIp === null ? [] : [p.publicIp],
      podCidr: calico ? null : p.podCIDRs[0]!,
      macLabel: calico ? `${p.name}'s tunnel MAC (VXLANTunnelMACAddr)` : `${p.name}'s VtepMAC`,
    });
    for (const f of faults) {
      out.push({ id: `peer-${f.kind}`, severity: 'error', node: p.name, message: f.message, evidence: f.data, remedy: f.remedy });
    }
    const dst = p.publicIp;
    if (dst !== null && p.publicIpSource === 'public-ip' && p.internalIPs.length > 0 && !p.internalIPs.includes(dst)) {
      out.push({
        id: 'peer-public-ip-not-internal',
        severity: 'warning',
        node: p.name,
        message: `${p.name}'s public-ip ${dst} is none of its InternalIPs (${p.internalIPs.join(', ')}): flannel on ${p.name} picked another NIC; VXLAN to it fails unless ${dst} is reachable`,
        evidence: { peer: p.name, publicIp: dst, internalIPs: p.internalIPs },
        remedy: `on ${p.name}: run flannel with --iface=<the NIC holding ${p.internalIPs[0]}>, or kubectl annotate node ${p.name} flannel.alpha.coreos.com/public-ip-overwrite=${p.internalIPs[0]} --overwrite`,
      });
    }
  }
  out.push(...staleEntries(ctx, t));
  return out;
};

const MAX_LISTED = 20;

function staleEntries(ctx: InspectContext, t: TableIndex): Finding[] {
  const dev = ctx.overlay!;
  const cluster = ctx.cluster!;
  const macs = new Set(cluster.map((n) => n.vtepMac).filter((m): m is string => m !== null));
  const peers = cluster.filter((n) => n.name !== ctx.self);
  const vteps = new Set(
    peers.flatMap((n) => (n.vtepIp != null ? [n.vtepIp] : n.podCIDRs.map(vtepIpOf))).filter((v): v is string => v !== null),
  );
  // Felix routes each IPAM block via the owner's tunnel address: a route via a known tunnel address is accounted for.
  const tunnelGateways = new Set(peers.map((n) => n.vtepIp).filter((v): v is string => v != null));
  const cidrs = new Set(cluster.flatMap((n) => n.podCIDRs));
  const out: Finding[] = [];
  const report = (id: FindingId, what: string, items: string[], fixes: string[]) => {
    if (items.length === 0) return;
    out.push({
      id,
      severity: 'warning',
      node: ctx.selfLabel,
      message: `${items.length} ${what} on ${dev.name} belong to no node in the cluster: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ', ...' : ''}`,
      evidence: { device: dev.name, entries: items.slice(0, MAX_LISTED), count: items.length },
      remedy: fixes.slice(0, MAX_LISTED).join('; ') + (fixes.length > MAX_LISTED ? `; ... (${fixes.length - MAX_LISTED} more)` : ''),
    });
  };
  const staleFdb = [...t.fdb.entries()].filter(([mac]) => !macs.has(mac) && !isGroupOrZero(mac) && mac !== dev.mac?.toLowerCase());
  report(
    'fdb-stale',
    'FDB entries',
    staleFdb.map(([mac, fs]) => `${mac} -> ${fs.map((f) => f.dst ?? '?').join('/')}`),
    staleFdb.flatMap(([mac, fs]) => fs.map((f) => `bridge fdb del ${mac} dev ${dev.name}${f.dst ? ` dst ${f.dst}` : ''} self`)),
  );
  const staleNeigh = [...t.neigh.values()].flat().filter((n) => !vteps.has(n.ip) && n.mac !== null && n.state.includes('permanent'));
  report('neigh-stale', 'permanent neighbor entries', staleNeigh.map((n) => `${n.ip} ${n.mac}`), staleNeigh.map((n) => `ip neigh del ${n.ip} dev ${dev.name}`));
  const staleRoutes = ctx.facts.routes.filter((r) => r.table === 254 && r.ifindex === dev.ifindex && r.gateway !== null && !cidrs.has(r.dst) && !tunnelGateways.has(r.gateway));
  report('route-stale', 'routes', staleRoutes.map((r) => `${r.dst} via ${r.gateway}`), staleRoutes.map((r) => `ip route del ${r.dst} dev ${dev.name}`));
  return out;
}

function isGroupOrZero(mac: string): boolean {
  return mac === '00:00:00:00:00:00' || (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}
