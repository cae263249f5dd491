// A namespace node with `count` flannel peers: route + permanent neighbor +
// FDB entry each, programmed in three `-batch` runs (seconds, not minutes).
import { Shell } from '../../../src/lab/exec.js';
import { createNetns, vethBetween, type Netns } from '../../../src/lab/netns.js';

export function peerOf(i: number): { subnet: string; vtep: string; mac: string; ip: string } {
  const hi = (i >> 8) & 0xff;
  const lo = i & 0xff;
  const mac = `02:bb:00:00:${hi.toString(16).padStart(2, '0')}:${lo.toString(16).padStart(2, '0')}`;
  return { subnet: `10.${100 + hi}.${lo}.0/24`, vtep: `10.${100 + hi}.${lo}.0`, mac, ip: `172.30.${hi + 1}.${lo}` };
}

export function createBigNode(shell: Shell, tag: string, count: number): { node: Netns; peer: Netns } {
  const node = createNetns(shell, tag, 'big');
  const peer = createNetns(shell, tag, 'bigp');
  vethBetween(shell, node, 'eth0', peer, 'eth0');
  node.ip(['addr', 'add', '172.30.255.1/16', 'dev', 'eth0']);
  node.ip(['link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'nolearning',
    'local', '172.30.255.1', 'dev', 'eth0']);
  node.ip(['link', 'set', 'flannel.1', 'up']);
  node.ip(['addr', 'add', '10.99.0.0/32', 'dev', 'flannel.1']);
  const routes: string[] = [];
  const neighs: string[] = [];
  const fdb: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = peerOf(i);
    routes.push(`route add ${p.subnet} via ${p.vtep} dev flannel.1 onlink`);
    neighs.push(`neigh add ${p.vtep} lladdr ${p.mac} dev flannel.1 nud permanent`);
    fdb.push(`fdb append ${p.mac} dev flannel.1 dst ${p.ip}`);
  }
  node.ip(['-batch', '-'], { input: `${routes.join('\n')}\n${neighs.join('\n')}\n` });
  shell.run(['bridge', '-n', node.name, '-batch', '-'], { input: `${fdb.join('\n')}\n` });
  return { node, peer };
}
