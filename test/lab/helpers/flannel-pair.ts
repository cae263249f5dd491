// Two namespaces joined by a veth, each with a flannel-style VXLAN device
// programmed the way flannel's vxlan backend does it (VTEP x.y.z.0/32,
// onlink route to the peer's pod CIDR, permanent neighbor, FDB to the peer).
import { Shell } from '../../../src/lab/exec.js';
import { createNetns, deleteNetns, newRunTag, vethBetween, type Netns } from '../../../src/lab/netns.js';

export interface FlannelNode {
  ns: Netns;
  ip: string;
  vtepIp: string;
  vtepMac: string;
  podCidr: string;
}

export interface FlannelPair {
  shell: Shell;
  a: FlannelNode;
  b: FlannelNode;
  destroy(): void;
}

export function createFlannelPair(opts: { vni?: number; port?: number } = {}): FlannelPair {
  const vni = opts.vni ?? 1;
  const port = opts.port ?? 8472;
  const shell = new Shell();
  const tag = newRunTag();
  const made: Netns[] = [];
  const destroy = () => {
    for (const ns of made) deleteNetns(shell, ns);
  };
  try {
    const nsA = createNetns(shell, tag, 'a');
    made.push(nsA);
    const nsB = createNetns(shell, tag, 'b');
    made.push(nsB);
    vethBetween(shell, nsA, 'eth0', nsB, 'eth0');
    const a: FlannelNode = { ns: nsA, ip: '192.168.50.1', vtepIp: '10.244.0.0', vtepMac: '0a:58:0a:f4:00:00', podCidr: '10.244.0.0/24' };
    const b: FlannelNode = { ns: nsB, ip: '192.168.50.2', vtepIp: '10.244.1.0', vtepMac: '0a:58:0a:f4:01:00', podCidr: '10.244.1.0/24' };
    for (const n of [a, b]) {
      n.ns.ip(['addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
      n.ns.ip(['link', 'add', `flannel.${vni}`, 'address', n.vtepMac, 'type', 'vxlan', 'id', String(vni),
        'dstport', String(port), 'local', n.ip, 'dev', 'eth0', 'nolearning']);
      n.ns.ip(['addr', 'add', `${n.vtepIp}/32`, 'dev', `flannel.${vni}`]);
      n.ns.ip(['link', 'set', `flannel.${vni}`, 'up']);
    }
    for (const [self, peer] of [[a, b], [b, a]] as const) {
      const dev = `flannel.${vni}`;
      self.ns.ip(['route', 'add', peer.podCidr, 'via', peer.vtepIp, 'dev', dev, 'onlink']);
      self.ns.ip(['neigh', 'replace', peer.vtepIp, 'lladdr', peer.vtepMac, 'dev', dev, 'nud', 'permanent']);
      self.ns.run(['bridge', 'fdb', 'append', peer.vtepMac, 'dev', dev, 'dst', peer.ip]);
    }
    return { shell, a, b, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}
