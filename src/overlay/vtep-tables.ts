// The overlay's per-peer table invariants, as flannel (and Calico's Felix)
// program them on every node for every peer:
//   route   <peer podCIDR> via <peer VTEP ip> dev <VTEP device> onlink
//   neighbor <peer VTEP ip> -> <peer VtepMAC> (permanent)
//   FDB      <peer VtepMAC> -> dst <peer public ip>
// `pair` checks them against the peer's real facts, `inspect` against the
// cluster's records; both report these faults with these remedies.
// docs/architecture.md, "The rule layer".
import type { AddrInfo, FdbInfo, HostFacts, LinkInfo, NeighInfo, RouteInfo } from '../host/types.js';

export const TABLE_FAULT_KINDS = ['route-missing', 'route-wrong', 'neigh-missing', 'neigh-mac', 'fdb-missing', 'fdb-dst'] as const;
export type TableFaultKind = (typeof TABLE_FAULT_KINDS)[number];

export interface PeerVtep {
  /** The peer's display name. */
  name: string;
  vtepIp: string;
  mac: string;
  /** Where the peer's VTEP listens (its public ip; pair adds the device's local address). */
  publicIps: string[];
  /** The peer's pod network when known (inspect: the node's podCIDR; pair: unknown). */
  podCidr: string | null;
  /** How messages name the peer's MAC: "b's flannel.1 MAC", "b's VtepMAC". */
  macLabel: string;
  /** The peer's own addresses, to explain a wrong FDB dst (pair only). */
  addresses?: AddrInfo[];
}

export interface TableFault {
  kind: TableFaultKind;
  peer: string;
  message: string;
  /** The one command that repairs the entry on this node. */
  remedy: string;
  data: Record<string, string | string[] | boolean | null>;
}

/** This node's tables for one VTEP device, indexed once for many peers. */
export interface TableIndex {
  facts: HostFacts;
  self: string;
  device: LinkInfo;
  routesByDst: Map<string, RouteInfo[]>;
  routesByGateway: Map<string, RouteInfo[]>;
  neigh: Map<string, NeighInfo[]>;
  fdb: Map<string, FdbInfo[]>;
}

const MAIN_TABLE = 254;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function indexTables(facts: HostFacts, self: string, device: LinkInfo): TableIndex {
  const idx: TableIndex = { facts, self, device, routesByDst: new Map(), routesByGateway: new Map(), neigh: new Map(), fdb: new Map() };
  for (const r of facts.routes) {
    if (r.table !== MAIN_TABLE || r.dst === 'default') continue;
    push(idx.routesByDst, r.dst, r);
    if (r.gateway) push(idx.routesByGateway, r.gateway, r);
  }
  for (const n of facts.neighbors) if (n.ifindex === device.ifindex) push(idx.neigh, n.ip, n);
  for (const f of facts.fdb) if (f.ifindex === device.ifindex) push(idx.fdb, f.mac.toLowerCase(), f);
  return idx;
}

export const routeRemedy = (dst: string, vtepIp: string, dev: string) => `ip route replace ${dst} via ${vtepIp} dev ${dev} onlink`;
export const neighRemedy = (vtepIp: string, mac: string, dev: string) => `ip neigh replace ${vtepIp} lladdr ${mac} dev ${dev} nud permanent`;
export const fdbRemedy = (mac: string, dev: string, dst: string) => `bridge fdb replace ${mac} dev ${dev} dst ${dst} self permanent`;

function whoseAddress(idx: TableIndex, peer: PeerVtep, ip: string | null): string {
  if (ip === null) return '';
  const ours = idx.facts.addresses.find((a) => a.address === ip);
  if (ours) return ` (${idx.self}'s own address on ${ours.ifname}: it sends ${peer.name}'s overlay traffic to itself)`;
  const theirs = peer.addresses?.find((a) => a.address === ip);
  return theirs ? ` (${peer.name}'s address on ${theirs.ifname}, not where its VTEP listens)` : '';
}

/** Everything in this node's tables that disagrees with one peer's VTEP. */
export function checkPeerTables(idx: TableIndex, peer: PeerVtep): TableFault[] {
  const out: TableFault[] = [];
  const dev = idx.device.name;
  const s = idx.self;
  const p = peer.name;
  const mac = peer.mac.toLowerCase();

  const routes = peer.podCidr !== null ? (idx.routesByDst.get(peer.podCidr) ?? []) : (idx.routesByGateway.get(peer.vtepIp) ?? []);
  const good = routes.some((r) => r.ifindex === idx.device.ifindex && r.gateway === peer.vtepIp && r.onlink);
  const wanted = `via ${peer.vtepIp} dev ${dev} onlink`;
  if (routes.length === 0) {
    const dst = peer.podCidr ?? `<${p}'s podCIDR>`;
    out.push({
      kind: 'route-missing',
      peer: p,
      message: `${s} has no route to ${p}'s pods ${peer.podCidr ?? ''}${peer.podCidr ? ' ' : ''}via its VTEP ${peer.vtepIp} (expected: ${dst} ${wanted}): traffic to them leaves by the default route instead of ${dev}`,
      remedy: routeRemedy(dst, peer.vtepIp, dev),
      data: { peer: p, podCIDR: peer.podCidr, vtepIp: peer.vtepIp },
    });
  } else if (!good) {
    const r = routes[0]!;
    out.push({
      kind: 'route-wrong',
      peer: p,
      message: `${s}'s route to ${p}'s pods ${r.dst} goes ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.ifname ?? `ifindex ${r.ifindex}`}${r.onlink ? ' onlink' : ''}, not ${wanted}`,
      remedy: routeRemedy(r.dst, peer.vtepIp, dev),
      data: { peer: p, podCIDR: r.dst, vtepIp: peer.vtepIp, gateway: r.gateway, device: r.ifname, onlink: r.onlink, type: r.type },
    });
  }

  const neigh = (idx.neigh.get(peer.vtepIp) ?? []).filter((n) => n.mac !== null);
  if (neigh.length === 0) {
    out.push({
      kind: 'neigh-missing',
      peer: p,
      message: `${s} has no neighbor entry for ${p}'s VTEP ${peer.vtepIp} on ${dev}: VTEPs do not answer ARP, so packets to its pods are never sent`,
      remedy: neighRemedy(peer.vtepIp, mac, dev),
      data: { peer: p, vtepIp: peer.vtepIp, expectedMac: mac },
    });
  } else if (!neigh.some((n) => n.mac!.toLowerCase() === mac)) {
    const stale = neigh[0]!.mac!.toLowerCase();
    out.push({
      kind: 'neigh-mac',
      peer: p,
      message: `${s}'s neighbor entry says ${p}'s VTEP ${peer.vtepIp} is at ${stale}, but ${peer.macLabel} is ${mac}: a stale entry; its frames are dropped by ${p}`,
      remedy: neighRemedy(peer.vtepIp, mac, dev),
      data: { peer: p, vtepIp: peer.vtepIp, neighMac: stale, vtepMac: mac, state: neigh[0]!.state },
    });
  }

  const dst = peer.publicIps[0];
  if (dst === undefined) return out;
  const fdb = idx.fdb.get(mac) ?? [];
  if (fdb.length === 0) {
    out.push({
      kind: 'fdb-missing',
      peer: p,
      message: `${s}'s ${dev} has no FDB entry for ${p}'s VtepMAC ${mac}: the kernel does not know where to send its frames`,
      remedy: fdbRemedy(mac, dev, dst),
      data: { peer: p, vtepMac: mac, publicIp: dst },
    });
  } else if (!fdb.some((f) => f.dst !== null && peer.publicIps.includes(f.dst))) {
    const wrong = fdb.map((f) => f.dst ?? 'nothing');
    const dels = fdb.map((f) => `bridge fdb del ${mac} dev ${dev}${f.dst ? ` dst ${f.dst}` : ''} self`);
    out.push({
      kind: 'fdb-dst',
      peer: p,
      message: `${s}'s FDB sends ${p}'s VtepMAC ${mac} to ${wrong.join(', ')}${whoseAddress(idx, peer, fdb[0]!.dst)}, but ${p} is ${dst}`,
      remedy: `${dels.join('; ')}; ${fdbRemedy(mac, dev, dst)}`,
      data: { peer: p, vtepMac: mac, fdbDst: fdb.map((f) => f.dst ?? ''), publicIp: dst },
    });
  }
  return out;
}
