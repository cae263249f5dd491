import { describe, expect, it } from 'vitest';
import { compareVtepTables } from '../../src/diagnose/vtep-tables.js';
import { hostFactsSchema } from '../../src/pair/messages.js';
import { vtepEndpoints } from '../../src/pair/probe-frames.js';
import { factsForPeer } from '../../src/pair/shared-facts.js';
import { A, B, nodeFacts } from '../helpers/run-fixture.js';

/** node-b with 1,000 other flannel peers and 600 pod veths, like a big cluster node. */
function bigNode() {
  const f = nodeFacts(B, A);
  for (let i = 0; i < 1000; i++) {
    const ip = `10.245.${i >> 8}.${i & 255}`;
    const mac = `0a:01:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    f.routes.push({ dst: `${ip}/24`, gateway: ip, ifindex: 3, ifname: 'flannel.1', prefsrc: null, onlink: true, table: 254, type: 'unicast' });
    f.neighbors.push({ ifindex: 3, ifname: 'flannel.1', ip, mac, state: ['permanent'] });
    f.fdb.push({ ifindex: 3, ifname: 'flannel.1', mac, dst: `172.16.${i >> 8}.${i & 255}`, port: null, vni: null, permanent: true });
  }
  for (let i = 0; i < 600; i++) f.links.push({ ifindex: 100 + i, name: `veth${i}`, mac: '02:00:00:00:00:99', mtu: 1450, up: true, kind: 'veth', masterIndex: 50 });
  return f;
}

describe('factsForPeer', () => {
  it('cuts a big node to what the peer needs, within the schema and far below the line limit', () => {
    const big = bigNode();
    const shared = factsForPeer(big, vtepEndpoints(nodeFacts(A, B), [8472]), A.ip);
    expect(JSON.stringify(big).length).toBeGreaterThan(256 * 1024);
    expect(() => hostFactsSchema.check(JSON.parse(JSON.stringify(shared)))).not.toThrow();
    expect(JSON.stringify(shared).length).toBeLessThan(16 * 1024);
    expect(shared.fdb.map((f) => f.mac)).toEqual([A.vtep!.mac]);
  });

  it('keeps every entry the classifier reads about the peer', () => {
    const big = bigNode();
    big.fdb.find((f) => f.mac === A.vtep!.mac)!.dst = '10.0.2.15';
    big.neighbors.find((n) => n.ip === A.vtep!.ip)!.mac = '0a:00:00:00:00:99';
    const ctx = { senderName: 'b', receiver: nodeFacts(A, B), receiverName: 'a', receiverIp: A.ip, port: 8472 };
    const full = compareVtepTables({ ...ctx, sender: big });
    const cut = compareVtepTables({ ...ctx, sender: factsForPeer(big, vtepEndpoints(nodeFacts(A, B), [8472]), A.ip) });
    expect(full.map((p) => p.kind)).toEqual(['neigh-mac', 'fdb-dst']);
    expect(cut).toEqual(full);
  });
});
