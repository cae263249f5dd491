// Builds RunRecords for classifier tests: host facts of two flannel nodes and
// sightings produced by a small model of the path (which probes get lost,
// which get no reply, which draw an ICMP error).
import type { HostFacts, LinkInfo } from '../../src/host/types.js';
import type { IcmpSighting, RunRecord, Sighting } from '../../src/diagnose/types.js';
import { buildPlan } from '../../src/pair/plan.js';
import type { ProbeSpec } from '../../src/pair/plan-types.js';

export interface NodeSpec {
  name: string;
  ip: string;
  mtu?: number;
  /** Omit for a node without a VXLAN device. */
  vtep?: { port: number; vni: number; ip: string; mac: string };
}

export function nodeFacts(self: NodeSpec, peer: NodeSpec): HostFacts {
  const nic: LinkInfo = { ifindex: 2, name: 'eth0', mac: '02:00:00:00:00:0' + self.name.length, mtu: self.mtu ?? 1500, up: true, kind: 'veth', masterIndex: null };
  const links: LinkInfo[] = [nic];
  const facts: HostFacts = {
    hostname: self.name,
    nic: { name: 'eth0', ifindex: 2, mac: nic.mac, mtu: nic.mtu, addresses: [self.ip], chosenBy: 'argument' },
    links,
    addresses: [{ ifindex: 2, ifname: 'eth0', family: 4, address: self.ip, prefixLen: 24 }],
    routes: [],
    neighbors: [],
    fdb: [],
    ports: [],
    sysctls: { ipForward: true, rpFilter: { all: 0, default: 0 } },
    firewall: { chains: [], sources: ['nft -j list ruleset'], gaps: [], unavailable: null },
    offloads: [],
  };
  if (self.vtep) {
    const v = self.vtep;
    links.push({
      ifindex: 3, name: `flannel.${v.vni}`, mac: v.mac, mtu: (self.mtu ?? 1500) - 50, up: true, kind: 'vxlan', masterIndex: null,
      vxlan: { vni: v.vni, port: v.port, local: self.ip, group: null, underlayIndex: 2, learning: false, ttl: 0, udpCsum: true, srcPortRange: [0, 0], external: false },
    });
    facts.addresses.push({ ifindex: 3, ifname: `flannel.${v.vni}`, family: 4, address: v.ip, prefixLen: 32 });
    facts.ports.push({ port: v.port, holders: [{ kind: 'vxlan', device: `flannel.${v.vni}`, ifindex: 3, vni: v.vni }] });
    if (peer.vtep) {
      const p = peer.vtep;
      const podCidr = p.ip.replace(/\.0$/, '.0/24');
      facts.routes.push({ dst: podCidr, gateway: p.ip, ifindex: 3, ifname: `flannel.${v.vni}`, prefsrc: null, onlink: true, table: 254, type: 'unicast' });
      facts.neighbors.push({ ifindex: 3, ifname: `flannel.${v.vni}`, ip: p.ip, mac: p.mac, state: ['permanent'] });
      facts.fdb.push({ ifindex: 3, ifname: `flannel.${v.vni}`, mac: p.mac, dst: peer.ip, port: null, vni: null, permanent: true });
    }
  }
  return facts;
}

export const A: NodeSpec = { name: 'node-a', ip: '192.168.1.2', vtep: { port: 8472, vni: 1, ip: '10.244.0.0', mac: '0a:00:00:00:00:0a' } };
export const B: NodeSpec = { name: 'node-b', ip: '192.168.1.3', vtep: { port: 8472, vni: 1, ip: '10.244.1.0', mac: '0a:00:00:00:00:0b' } };

export interface PathModel {
  /** True when the probe never reaches the receiver's NIC. */
  lose?: (p: ProbeSpec) => boolean;
  /** True when the receiver's kernel does not answer a VTEP echo that arrived. */
  noReply?: (p: ProbeSpec) => boolean;
  /** An ICMP error the sender sees for this probe. */
  icmp?: (p: ProbeSpec) => Omit<IcmpSighting, 'probeId' | 'at' | 'time'> | null;
  /** Where the sender's kernel sends its own VTEP echo (default: the receiver). */
  kernelDst?: (p: ProbeSpec) => string | null;
}

export function simulate(local: HostFacts, peer: HostFacts, model: PathModel = {}, ports = [8472, 8475], sizes: 'sweep' | 'mtu' = 'sweep'): RunRecord {
  const plan = buildPlan({ runId: 7, ports, baselinePort: 33473, vni: 1, local, peer, sizes });
  const localIp = local.nic.addresses[0]!;
  const peerIp = peer.nic.addresses[0]!;
  const sightings: Sighting[] = [];
  const icmp: IcmpSighting[] = [];
  for (const p of plan.probes) {
    const [src, dst] = p.direction === 'forward' ? [localIp, peerIp] : [peerIp, localIp];
    const base: Sighting = {
      probeId: p.probeId, seq: 1, at: 'receiver', dir: 'in', time: 1, srcIp: src, dstIp: dst, srcPort: 40000, dstPort: p.port, ttl: 64,
      ipLength: p.size ?? 100, udpChecksumOk: true, vni: p.vni, innerSrcMac: null, innerDstMac: null, innerSrcIp: null, innerDstIp: null,
      inner: p.kind.startsWith('vtep') ? 'echo-request' : p.kind === 'plain' || p.kind === 'baseline' ? null : 'udp',
    };
    const outDst = p.kind === 'vtep-kernel' && model.kernelDst ? model.kernelDst(p) : dst;
    if (outDst !== null) sightings.push({ ...base, at: 'sender', dir: 'out', dstIp: outDst });
    const lost = (model.lose?.(p) ?? false) || outDst !== dst;
    if (!lost) {
      sightings.push(base);
      if (p.kind.startsWith('vtep') && !(model.noReply?.(p) ?? false)) {
        sightings.push({ ...base, at: 'receiver', dir: 'out', srcIp: dst, dstIp: src, inner: 'echo-reply' });
        sightings.push({ ...base, at: 'sender', dir: 'in', srcIp: dst, dstIp: src, inner: 'echo-reply' });
      }
    }
    const e = model.icmp?.(p);
    if (e) icmp.push({ ...e, probeId: p.probeId, at: 'sender', time: 2 });
  }
  return { plan, local, peer, localIp, peerIp, sightings, icmp, notSent: [] };
}
