// What one node tells the other about itself. A node with hundreds of pods
// has hundreds of veth links and a cluster of 1,000 nodes puts thousands of
// entries in the VTEP tables; the peer needs only its own side of them, so
// the facts sent over the control channel are cut to that (and stay far
// below the channel's line limit).
import { trimFirewall } from '../host/firewall.js';
import type { HostFacts, HostTables } from '../host/types.js';
import type { VtepEndpoint } from './probe-frames.js';

const FIREWALL_SHARE_BYTES = 128 * 1024;

export function tablesForPeer<T extends HostTables>(facts: T, peerVteps: VtepEndpoint[], peerIp: string): T {
  const vxlanIdx = new Set(facts.links.filter((l) => l.vxlan).map((l) => l.ifindex));
  const keepLink = new Set([...vxlanIdx, facts.nic.ifindex]);
  const vtepIps = new Set(peerVteps.map((v) => v.ip));
  const vtepMacs = new Set(peerVteps.map((v) => v.mac));
  return {
    ...facts,
    links: facts.links.filter((l) => keepLink.has(l.ifindex)),
    addresses: facts.addresses.filter((a) => a.family === 4),
    routes: facts.routes.filter((r) => (r.gateway !== null && vtepIps.has(r.gateway)) || r.dst === `${peerIp}/32`),
    neighbors: facts.neighbors.filter((n) => vxlanIdx.has(n.ifindex) && vtepIps.has(n.ip)),
    fdb: facts.fdb.filter((f) => vxlanIdx.has(f.ifindex) && vtepMacs.has(f.mac)),
  };
}

export function factsForPeer(facts: HostFacts, peerVteps: VtepEndpoint[], peerIp: string): HostFacts {
  return {
    ...tablesForPeer(facts, peerVteps, peerIp),
    // The chains are already only those on the input and forward paths; cut
    // them to a share of the channel's line limit (a cut is marked, not hidden).
    firewall: trimFirewall(facts.firewall, FIREWALL_SHARE_BYTES),
    offloads: facts.offloads.filter((o) => o.ifname === facts.nic.name || facts.links.some((l) => l.vxlan && l.name === o.ifname)),
  };
}
