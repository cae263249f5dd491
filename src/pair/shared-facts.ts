// What one node tells the other about itself. A node with hundreds of pods
// has hundreds of veth links and a cluster of 1,000 nodes puts thousands of
// entries in the VTEP tables; the peer needs only its own side of them, so
// the facts sent over the control channel are cut to that (and stay far
// below the channel's line limit).
import type { HostFacts } from '../host/types.js';
import type { VtepEndpoint } from './probe-frames.js';

export function factsForPeer(facts: HostFacts, peerVteps: VtepEndpoint[], peerIp: string): HostFacts {
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
    firewall: {
      ...facts.firewall,
      rules: facts.firewall.rules
        .filter((r) => r.hook === 'input' || r.hook === 'forward' || r.hook === 'prerouting')
        .filter((r) => r.l4proto === null || r.l4proto === 'udp')
        .slice(0, 256),
    },
    offloads: facts.offloads.filter((o) => o.ifname === facts.nic.name || facts.links.some((l) => l.vxlan && l.name === o.ifname)),
  };
}
