import { describe, expect, it } from 'vitest';
import { MAC_A, MAC_B, errorsOf, healthyFacts, healthySpecs, ids, inspectFixture } from '../fixtures/inspect/cluster.js';

describe('inspect: per-peer VTEP tables', () => {
  it('finds the Vagrant FDB entry to 10.0.2.15 and names the peer and the fix', () => {
    const f = healthyFacts();
    f.fdb[0]!.dst = '10.0.2.15';
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: 'peer-fdb-dst', severity: 'error', node: 'node-b' });
    expect(r.findings[0]!.evidence).toMatchObject({ fdbDst: ['10.0.2.15'], publicIp: '192.168.1.122' });
    expect(r.findings[0]!.remedy).toBe(
      `bridge fdb del ${MAC_B} dev flannel.1 dst 10.0.2.15 self; bridge fdb replace ${MAC_B} dev flannel.1 dst 192.168.1.122 self permanent`,
    );
  });
  it('finds a stale neighbor MAC (peer recreated its VTEP) and the old FDB entry', () => {
    const f = healthyFacts();
    const old = 'de:ad:be:ef:00:01';
    f.neighbors[0]!.mac = old;
    f.fdb[0]!.mac = old;
    const r = inspectFixture(f, healthySpecs());
    expect(ids(errorsOf(r.findings))).toEqual(['peer-neigh-mac', 'peer-fdb-missing']);
    expect(errorsOf(r.findings).every((x) => x.node === 'node-b')).toBe(true);
    expect(r.findings[0]!.remedy).toBe(`ip neigh replace 10.244.1.0 lladdr ${MAC_B} dev flannel.1 nud permanent`);
    const stale = r.findings.find((x) => x.id === 'fdb-stale');
    expect(stale?.severity).toBe('warning');
    expect(stale?.remedy).toBe(`bridge fdb del ${old} dev flannel.1 dst 192.168.1.122 self`);
  });
  it('reports missing and wrong routes with the onlink route flannel installs', () => {
    const f = healthyFacts();
    f.routes = f.routes.filter((r) => r.dst !== '10.244.1.0/24');
    f.routes.find((r) => r.dst === '10.244.2.0/24')!.onlink = false;
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings.map((x) => [x.id, x.node, x.remedy])).toEqual([
      ['peer-route-missing', 'node-b', 'ip route replace 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink'],
      ['peer-route-wrong', 'node-c', 'ip route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink'],
    ]);
  });
  it('reports missing neighbor and FDB entries', () => {
    const f = healthyFacts();
    f.neighbors = f.neighbors.filter((n) => n.ip !== '10.244.2.0');
    f.fdb = f.fdb.filter((e) => e.dst !== '192.168.1.123');
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings.map((x) => [x.id, x.node])).toEqual([
      ['peer-neigh-missing', 'node-c'],
      ['peer-fdb-missing', 'node-c'],
    ]);
  });
  it('warns about entries that belong to no node (a deleted node)', () => {
    const f = healthyFacts();
    f.routes.push({ dst: '10.244.9.0/24', gateway: '10.244.9.0', ifindex: 5, ifname: 'flannel.1', prefsrc: null, onlink: true, table: 254, type: 'unicast' });
    f.neighbors.push({ ifindex: 5, ifname: 'flannel.1', ip: '10.244.9.0', mac: '02:00:00:00:09:00', state: ['permanent'] });
    f.fdb.push({ ifindex: 5, ifname: 'flannel.1', mac: '02:00:00:00:09:00', dst: '192.168.1.129', port: null, vni: null, permanent: true });
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings.map((x) => [x.id, x.severity])).toEqual([
      ['fdb-stale', 'warning'],
      ['neigh-stale', 'warning'],
      ['route-stale', 'warning'],
    ]);
    expect(r.findings[2]!.remedy).toBe('ip route del 10.244.9.0/24 dev flannel.1');
  });
  it("warns when a peer's public-ip is none of its InternalIPs", () => {
    const specs = healthySpecs();
    specs[1]!.publicIp = '172.31.9.9';
    const f = healthyFacts();
    f.fdb[0]!.dst = '172.31.9.9'; // flannel programmed what the annotation says
    const r = inspectFixture(f, specs);
    expect(r.findings.map((x) => [x.id, x.node])).toEqual([['peer-public-ip-not-internal', 'node-b']]);
    expect(r.findings[0]!.remedy).toMatch(/public-ip-overwrite=192\.168\.1\.122 --overwrite/);
  });
});

describe('inspect: this node (self)', () => {
  it('errors when its annotated VtepMAC is not its flannel.1 MAC, still knowing itself by InternalIP', () => {
    const specs = healthySpecs();
    specs[0]!.vtepMac = '02:11:22:33:44:55';
    const r = inspectFixture(healthyFacts(), specs);
    expect(r.by).toBe('internal-ip');
    expect(r.findings.map((x) => [x.id, x.node])).toEqual([['self-vtep-mac', 'node-a']]);
    expect(r.findings[0]!.remedy).toContain(`flannel.alpha.coreos.com/backend-data='{"VNI":1,"VtepMAC":"${MAC_A}"}' --overwrite`);
  });
  it('errors when its public-ip is not an address it holds', () => {
    const specs = healthySpecs();
    specs[0]!.publicIp = '192.168.1.99';
    const r = inspectFixture(healthyFacts(), specs);
    expect(r.findings.map((x) => [x.id, x.node])).toEqual([['self-public-ip-not-local', 'node-a']]);
    expect(r.findings[0]!.remedy).toMatch(/^kubectl annotate node node-a flannel\.alpha\.coreos\.com\/public-ip=192\.168\.1\.121 --overwrite/);
  });
  it('warns when it cannot tell which node it is', () => {
    const f = healthyFacts();
    f.links[2]!.mac = '02:99:99:99:99:99';
    f.addresses = f.addresses.filter((a) => a.ifname !== 'eth0' && a.ifname !== 'cni0');
    f.routes = f.routes.filter((r) => r.ifname !== 'cni0');
    const r = inspectFixture(f, healthySpecs());
    expect(r.self).toBeNull();
    expect(r.findings.find((x) => x.id === 'self-unknown')?.remedy).toBe("pass --node <this node's name>");
  });
  it('uses the hostname when it matches a node name', () => {
    const f = healthyFacts();
    f.hostname = 'node-c';
    expect(inspectFixture(f, healthySpecs()).by).toBe('hostname');
  });
});
