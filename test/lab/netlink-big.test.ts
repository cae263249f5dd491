// Multi-part dumps: 1,000 peers' routes, neighbors and FDB entries span many
// netlink messages; every one must come back, equal to what was programmed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Shell } from '../../src/lab/exec.js';
import { deleteNetns, newRunTag, type Netns } from '../../src/lab/netns.js';
import type { FdbInfo, NeighInfo, RouteInfo } from '../../src/host/types.js';
import { describeRoot } from '../helpers/root.js';
import { createBigNode, peerOf } from './helpers/big-node.js';
import { okInNetns } from './helpers/in-netns.js';

const COUNT = 1000;

describeRoot('netlink dumps of 1,000 peers', () => {
  const shell = new Shell();
  let nodes: Netns[] = [];

  beforeAll(() => {
    const { node, peer } = createBigNode(shell, newRunTag(), COUNT);
    nodes = [node, peer];
  });
  afterAll(() => {
    for (const ns of nodes) deleteNetns(shell, ns);
  });

  it('returns every route, neighbor and FDB entry exactly', () => {
    const ns = nodes[0]!.name;
    const routes = okInNetns<RouteInfo[]>(ns, 'readRoutes').filter((r) => r.ifname === 'flannel.1' && r.onlink);
    const neigh = okInNetns<NeighInfo[]>(ns, 'readNeighbors').filter((n) => n.ifname === 'flannel.1');
    const fdb = okInNetns<FdbInfo[]>(ns, 'readFdb').filter((f) => f.ifname === 'flannel.1');
    const want = Array.from({ length: COUNT }, (_, i) => peerOf(i));
    expect(routes.map((r) => `${r.dst} ${r.gateway}`).sort()).toEqual(want.map((p) => `${p.subnet} ${p.vtep}`).sort());
    expect(neigh.map((n) => `${n.ip} ${n.mac} ${n.state.join()}`).sort()).toEqual(
      want.map((p) => `${p.vtep} ${p.mac} permanent`).sort(),
    );
    expect(fdb.map((f) => `${f.mac} ${f.dst}`).sort()).toEqual(want.map((p) => `${p.mac} ${p.ip}`).sort());
  });
});
