// Compares what a sender's kernel tables say about a peer's VTEP with the
// peer's real VTEP (flannel's per-peer triple: route via VTEP onlink, neighbor
// VTEP IP -> VtepMAC, FDB VtepMAC -> public IP). Pure: facts in, problems out.
import type { HostFacts, HostTables, LinkInfo } from '../host/types.js';
import { vxlanDevicesOnPort } from '../pair/plan.js';

export interface VtepView {
  device: LinkInfo;
  /** The /32 (or other) IPv4 address on the VXLAN device, flannel's x.y.z.0. */
  vtepIp: string | null;
  mac: string | null;
  vni: number;
  port: number;
}

export function vtepOnPort(facts: HostTables, port: number): VtepView | null {
  const device = vxlanDevicesOnPort(facts, port)[0];
  if (!device || !device.vxlan) return null;
  const addr = facts.addresses.find((a) => a.ifindex === device.ifindex && a.family === 4);
  return { device, vtepIp: addr?.address ?? null, mac: device.mac, vni: device.vxlan.vni, port };
}

export type MappingProblemKind =
  | 'vni-mismatch'
  | 'no-vtep-address'
  | 'no-route'
  | 'route-device'
  | 'no-neigh'
  | 'neigh-mac'
  | 'no-fdb'
  | 'fdb-dst';

export interface MappingProblem {
  kind: MappingProblemKind;
  message: string;
  /** The command that repairs this entry on the sender by hand. */
  fix: string | null;
  data: Record<string, unknown>;
}

export interface MappingContext {
  sender: HostFacts;
  senderName: string;
  receiver: HostFacts;
  receiverName: string;
  /** The receiver's underlay address the overlay should send to. */
  receiverIp: string;
  port: number;
}

/** Everything in the sender's tables that disagrees with the receiver's real VTEP. */
export function compareVtepTables(ctx: MappingContext): MappingProblem[] {
  const tx = vtepOnPort(ctx.sender, ctx.port);
  const rx = vtepOnPort(ctx.receiver, ctx.port);
  if (!tx || !rx) return [];
  const problems: MappingProblem[] = [];
  const dev = tx.device.name;
  const s = ctx.senderName;
  const r = ctx.receiverName;

  if (tx.vni !== rx.vni) {
    problems.push({
      kind: 'vni-mismatch',
      message: `${s}'s ${dev} uses VNI ${tx.vni} but ${r}'s ${rx.device.name} uses VNI ${rx.vni}`,
      fix: null,
      data: { senderVni: tx.vni, receiverVni: rx.vni },
    });
  }
  if (!rx.vtepIp) {
    problems.push({
      kind: 'no-vtep-address',
      message: `${r}'s ${rx.device.name} has no IPv4 address (flannel gives it x.y.z.0/32)`,
      fix: null,
      data: { device: rx.device.name },
    });
    return problems;
  }
  // Where the receiver's VTEP really listens: the probed address, or the local
  // address its device is bound to. Another address of the receiver (Vagrant's
  // NAT 10.0.2.15 on eth0, a public NAT IP) is no substitute: peers can't reach it.
  const reachable = new Set([ctx.receiverIp]);
  if (rx.device.vxlan?.local) reachable.add(rx.device.vxlan.local);

  const routes = ctx.sender.routes.filter((rt) => rt.gateway === rx.vtepIp);
  if (routes.length === 0) {
    problems.push({
      kind: 'no-route',
      message: `${s} has no route via ${r}'s VTEP ${rx.vtepIp} (flannel: <podCIDR> via ${rx.vtepIp} dev ${dev} onlink)`,
      fix: `ip route replace <${r}'s podCIDR> via ${rx.vtepIp} dev ${dev} onlink`,
      data: { vtepIp: rx.vtepIp },
    });
  } else if (!routes.some((rt) => rt.ifindex === tx.device.ifindex)) {
    const other = routes[0]!;
    problems.push({
      kind: 'route-device',
      message: `${s} routes ${other.dst} via ${rx.vtepIp} through ${other.ifname ?? `ifindex ${other.ifindex}`}, not ${dev}`,
      fix: `ip route replace ${other.dst} via ${rx.vtepIp} dev ${dev} onlink`,
      data: { dst: other.dst, ifname: other.ifname },
    });
  }

  const neigh = ctx.sender.neighbors.filter((n) => n.ifindex === tx.device.ifindex && n.ip === rx.vtepIp);
  if (neigh.length === 0) {
    problems.push({
      kind: 'no-neigh',
      message: `${s} has no neighbor entry for ${r}'s VTEP ${rx.vtepIp} on ${dev}`,
      fix: `ip neigh replace ${rx.vtepIp} lladdr ${rx.mac} dev ${dev} nud permanent`,
      data: { vtepIp: rx.vtepIp, expectedMac: rx.mac },
    });
  } else if (!neigh.some((n) => n.mac === rx.mac)) {
    const stale = neigh[0]!.mac;
    problems.push({
      kind: 'neigh-mac',
      message: `${s}'s neighbor entry says ${r}'s VTEP ${rx.vtepIp} is at ${stale}, but ${r}'s ${rx.device.name} MAC is ${rx.mac}`,
      fix: `ip neigh replace ${rx.vtepIp} lladdr ${rx.mac} dev ${dev} nud permanent`,
      data: { vtepIp: rx.vtepIp, neighMac: stale, realMac: rx.mac },
    });
  }

  const fdb = ctx.sender.fdb.filter((f) => f.ifindex === tx.device.ifindex && f.mac === rx.mac);
  if (fdb.length === 0) {
    problems.push({
      kind: 'no-fdb',
      message: `${s}'s ${dev} has no FDB entry for ${r}'s VtepMAC ${rx.mac}`,
      fix: `bridge fdb replace ${rx.mac} dev ${dev} dst ${ctx.receiverIp} self permanent`,
      data: { mac: rx.mac, expectedDst: ctx.receiverIp },
    });
  } else if (!fdb.some((f) => f.dst !== null && reachable.has(f.dst))) {
    const wrong = fdb[0]!.dst;
    const theirs = ctx.receiver.addresses.find((a) => a.address === wrong);
    const ours = ctx.sender.addresses.find((a) => a.address === wrong);
    const whose = ours
      ? ` (${s}'s own address on ${ours.ifname}: it sends ${r}'s overlay traffic to itself)`
      : theirs
        ? ` (${r}'s address on ${theirs.ifname}, not where its VTEP listens)`
        : '';
    problems.push({
      kind: 'fdb-dst',
      message: `${s}'s FDB sends ${r}'s VtepMAC ${rx.mac} to ${wrong ?? 'no address'}${whose}, but ${r} is ${ctx.receiverIp}`,
      fix: `bridge fdb replace ${rx.mac} dev ${dev} dst ${ctx.receiverIp} self permanent`,
      data: { mac: rx.mac, fdbDst: wrong, realIp: ctx.receiverIp },
    });
  }
  return problems;
}
