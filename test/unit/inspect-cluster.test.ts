import { describe, expect, it } from 'vitest';
import { errorsOf, healthyFacts, healthySpecs, ids, inspectFixture, type NodeSpec } from '../fixtures/inspect/cluster.js';

/** Facts whose FDB follows the annotations, as flannel would program them. */
function factsFollowing(specs: NodeSpec[]) {
  const f = healthyFacts();
  for (const e of f.fdb) {
    const s = specs.find((x) => x.vtepMac === e.mac);
    if (s) e.dst = s.overwrite ?? s.publicIp ?? s.internalIp;
  }
  return f;
}

describe('inspect: cluster-wide', () => {
  it('finds the Vagrant cluster: every public-ip is 10.0.2.15', () => {
    const specs = healthySpecs().map((s) => ({ ...s, publicIp: '10.0.2.15' }));
    const f = factsFollowing(specs);
    f.addresses.push({ ifindex: 7, ifname: 'eth1', family: 4, address: '10.0.2.15', prefixLen: 24 });
    const r = inspectFixture(f, specs);
    expect(r.self).toBe('node-a');
    const dup = r.findings.filter((x) => x.id === 'public-ip-duplicate');
    expect(dup.map((x) => x.node)).toEqual(['node-a', 'node-b', 'node-c']);
    expect(dup[1]!.remedy).toBe(
      'kubectl annotate node node-b flannel.alpha.coreos.com/public-ip-overwrite=192.168.1.122 --overwrite (or run flannel there with --iface=<NIC holding 192.168.1.122>), then restart flannel on node-b',
    );
    const nat = r.findings.filter((x) => x.id === 'public-ip-unreachable');
    expect(nat.map((x) => [x.node, x.severity])).toEqual([['node-a', 'error'], ['node-b', 'error'], ['node-c', 'error']]);
    expect(nat[0]!.message).toMatch(/Vagrant NAT/);
  });
  it('flags link-local public-ips as unreachable', () => {
    const specs = healthySpecs();
    specs[2]!.publicIp = '169.254.10.3';
    const r = inspectFixture(factsFollowing(specs), specs);
    expect(errorsOf(r.findings).map((x) => [x.id, x.node])).toEqual([['public-ip-unreachable', 'node-c']]);
  });
  it('reports nodes missing flannel annotations and podCIDRs, without per-peer noise', () => {
    const specs = healthySpecs();
    specs[1] = { ...specs[1]!, vtepMac: null, publicIp: null };
    const r = inspectFixture(healthyFacts(), specs);
    const missing = r.findings.find((x) => x.id === 'annotations-missing');
    expect(missing?.node).toBe('node-b');
    expect(missing?.evidence.missing).toEqual(['backend-data', 'public-ip']);
    expect(ids(errorsOf(r.findings))).toEqual(['annotations-missing']);
  });
  it('reports VNI disagreements between nodes and with the local device', () => {
    const specs = healthySpecs();
    specs[2]!.vni = 4;
    let r = inspectFixture(healthyFacts(), specs);
    expect(errorsOf(r.findings).map((x) => [x.id, x.node])).toEqual([['vni-mismatch', 'node-c']]);
    r = inspectFixture(healthyFacts(), healthySpecs(), { network: '10.244.0.0/16', backendType: 'vxlan', vni: 2, port: 8475 });
    expect(ids(errorsOf(r.findings))).toEqual(expect.arrayContaining(['vxlan-vni-mismatch', 'vxlan-port-mismatch']));
  });
  it('reports a backend type that differs from the cluster', () => {
    const specs = healthySpecs();
    specs[1]!.backendType = 'host-gw';
    const r = inspectFixture(healthyFacts(), specs);
    expect(errorsOf(r.findings).map((x) => [x.id, x.node])).toEqual([['backend-type-mismatch', 'node-b']]);
  });
  it('reports duplicated VtepMACs (cloned VMs)', () => {
    const specs = healthySpecs();
    specs[2]!.vtepMac = specs[1]!.vtepMac;
    const r = inspectFixture(healthyFacts(), specs);
    expect(r.findings.filter((x) => x.id === 'vtep-mac-duplicate').map((x) => x.node)).toEqual(['node-b', 'node-c']);
  });
  it('reports overlapping podCIDRs', () => {
    const specs = healthySpecs();
    specs.push({ name: 'node-d', internalIp: '192.168.1.124', podCidr: '10.244.1.0/25', vtepMac: '02:00:00:00:00:0d' });
    const r = inspectFixture(healthyFacts(), specs);
    expect(r.findings.find((x) => x.id === 'podcidr-overlap')?.node).toBe('node-d');
  });
});
