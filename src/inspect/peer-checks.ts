// Cluster truth vs this node's VTEP tables, peer by peer, exactly as
// flannel programs them: route <podCIDR> via <vtep ip> dev flannel.N onlink,
// a permanent neighbor <vtep ip> -> VtepMAC, and an FDB entry VtepMAC ->
// dst <public-ip>. Then the reverse: entries no node accounts for.
import type { ClusterNode } from '../cluster/types.js';
import type { FdbInfo, NeighInfo, RouteInfo } from '../host/types.js';
import { formatIpv4, parseCidr } from './ipv4.js';
import type { Check, Finding, InspectContext } from './types.js';

/** flannel's VTEP address for a lease: the subnet's network address (10.244.1.0). */
export function vtepIpOf(podCidr: string): string | null {
  const c = parseCidr(podCidr);
  return c ? formatIpv4(c.base) : null;
}

function isVxlanPeer(n: ClusterNode): boolean {
  return (n.backendType === null || n.backendType === 'vxlan') && n.vtepMac !== null && n.podCIDRs.length > 0;
}

interface Tables {
  routes: Map<string, RouteInfo[]>;
  neigh: Map<string, NeighInfo>;
  fdb: Map<string, FdbInfo[]>;
}

function indexTables(ctx: InspectContext): Tables {
  const dev = ctx.overlay!;
  const routes = new Map<string, RouteInfo[]>();
  for (const r of ctx.facts.routes) {
    if (r.table !== 254 || r.dst === 'default') continue;
    const list = routes.get(r.dst);
    if (list) list.push(r);
    else routes.set(r.dst, [r]);
  }
  const neigh = new Map<string, NeighInfo>();
  for (const n of ctx.facts.neighbors) if (n.ifindex === dev.ifindex) neigh.set(n.ip, n);
  const fdb = new Map<string, FdbInfo[]>();
  for (const f of ctx.facts.fdb) {
    if (f.ifindex !== dev.ifindex) continue;
    const mac = f.mac.toLowerCase();
    const list = fdb.get(mac);
    if (list) list.push(f);
    else fdb.set(mac, [f]);
  }
  return { routes, neigh, fdb };
}

export const checkPeers: Check = (ctx) => {
  const dev = ctx.overlay;
  if (!dev || !ctx.cluster) return [];
  const t = indexTables(ctx);
  const out: Finding[] = [];
  const name = dev.name;
  for (const p of ctx.cluster) {
    if (p.name === ctx.self || !isVxlanPeer(p)) continue;
    const cidr = p.podCIDRs[0]!;
    const vtepIp = vtepIpOf(cidr)!;
    const mac = p.vtepMac!;
    // Remedies are built only for findings: this loop runs once per peer.
    const routeFix = () => `ip route replace ${cidr} via ${vtepIp} dev ${name} onlink`;
    const routes = t.routes.get(cidr) ?? [];
    const good = routes.find((r) => r.ifindex === dev.ifindex && r.gateway === vtepIp && r.onlink);
    if (routes.length === 0) {
      out.push({
        id: 'peer-route-missing',
        severity: 'error',
        node: p.name,
        message: `no route to ${p.name}'s pods ${cidr}: traffic to them leaves by the default route instead of ${name}`,
        evidence: { peer: p.name, podCIDR: cidr, vtepIp },
        remedy: routeFix(),
      });
    } else if (!good) {
      const r = routes[0]!;
      out.push({
        id: 'peer-route-wrong',
        severity: 'error',
        node: p.name,
        message: `route to ${p.name}'s pods ${cidr} goes ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.ifname ?? '?'}${r.onlink ? ' onlink' : ''}, not via its VTEP ${vtepIp} dev ${name} onlink`,
        evidence: { peer: p.name, podCIDR: cidr, vtepIp, gateway: r.gateway, device: r.ifname, onlink: r.onlink, type: r.type },
        remedy: routeFix(),
      });
    }
    const neighFix = () => `ip neigh replace ${vtepIp} lladdr ${mac} dev ${name} nud permanent`;
    const n = t.neigh.get(vtepIp);
    if (!n || n.mac === null) {
      out.push({
        id: 'peer-neigh-missing',
        severity: 'error',
        node: p.name,
        message: `no neighbor entry for ${p.name}'s VTEP ${vtepIp} on ${name}: flannel's VTEPs do not answer ARP, so packets to its pods are never sent`,
        evidence: { peer: p.name, vtepIp, expectedMac: mac, state: n?.state ?? [] },
        remedy: neighFix(),
      });
    } else if (n.mac.toLowerCase() !== mac) {
      out.push({
        id: 'peer-neigh-mac',
        severity: 'error',
        node: p.name,
        message: `neighbor ${vtepIp} (${p.name}'s VTEP) on ${name} is ${n.mac.toLowerCase()}, but ${p.name}'s VtepMAC is ${mac}: a stale entry from an earlier ${name}; its frames are dropped by ${p.name}`,
        evidence: { peer: p.name, vtepIp, neighMac: n.mac.toLowerCase(), vtepMac: mac, state: n.state },
        remedy: neighFix(),
      });
    }
    const dst = p.publicIp;
    if (dst === null) continue;
    const fdbFix = () => `bridge fdb replace ${mac} dev ${name} dst ${dst} self permanent`;
    const entries = t.fdb.get(mac) ?? [];
    if (entries.length === 0) {
      out.push({
        id: 'peer-fdb-missing',
        severity: 'error',
        node: p.name,
        message: `no FDB entry for ${p.name}'s VtepMAC ${mac} on ${name}: the kernel does not know where to send its frames`,
        evidence: { peer: p.name, vtepMac: mac, publicIp: dst },
        remedy: fdbFix(),
      });
    } else if (!entries.some((f) => f.dst === dst)) {
      out.push({
        id: 'peer-fdb-dst',
        severity: 'error',
        node: p.name,
        message: `FDB entry for ${p.name}'s VtepMAC ${mac} sends to ${entries.map((f) => f.dst ?? 'nothing').join(', ')}, but ${p.name}'s public-ip is ${dst}`,
        evidence: { peer: p.name, vtepMac: mac, fdbDst: entries.map((f) => f.dst ?? ''), publicIp: dst },
        remedy: `${entries.map((f) => `bridge fdb del ${mac} dev ${name}${f.dst ? ` dst ${f.dst}` : ''} self`).join('; ')}; ${fdbFix()}`,
      });
    }
    if (p.publicIpSource === 'public-ip' && p.internalIPs.length > 0 && !p.internalIPs.includes(dst)) {
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

function staleEntries(ctx: InspectContext, t: Tables): Finding[] {
  const dev = ctx.overlay!;
  const cluster = ctx.cluster!;
  const macs = new Set(cluster.map((n) => n.vtepMac).filter((m): m is string => m !== null));
  const vteps = new Set(cluster.filter((n) => n.name !== ctx.self).flatMap((n) => n.podCIDRs.map(vtepIpOf)).filter((v): v is string => v !== null));
  const cidrs = new Set(cluster.flatMap((n) => n.podCIDRs));
  const out: Finding[] = [];
  const report = (id: string, what: string, items: string[], fixes: string[]) => {
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
  const staleNeigh = [...t.neigh.values()].filter((n) => !vteps.has(n.ip) && n.mac !== null && n.state.includes('permanent'));
  report('neigh-stale', 'permanent neighbor entries', staleNeigh.map((n) => `${n.ip} ${n.mac}`), staleNeigh.map((n) => `ip neigh del ${n.ip} dev ${dev.name}`));
  const staleRoutes = ctx.facts.routes.filter((r) => r.table === 254 && r.ifindex === dev.ifindex && r.gateway !== null && !cidrs.has(r.dst));
  report('route-stale', 'routes', staleRoutes.map((r) => `${r.dst} via ${r.gateway}`), staleRoutes.map((r) => `ip route del ${r.dst} dev ${dev.name}`));
  return out;
}

function isGroupOrZero(mac: string): boolean {
  return mac === '00:00:00:00:00:00' || (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}
