import { describe, expect, it } from 'vitest';
import { errorsOf, healthyFacts, healthySpecs, ids, inspectFixture } from '../fixtures/inspect/cluster.js';

describe('inspect: healthy node', () => {
  it('finds nothing wrong on a healthy node and knows it is node-a by its VtepMAC', () => {
    const r = inspectFixture(healthyFacts(), healthySpecs());
    expect(r.self).toBe('node-a');
    expect(r.by).toBe('vtep-mac');
    expect(r.findings).toEqual([]);
  });
  it('runs the local checks without cluster data', () => {
    expect(inspectFixture(healthyFacts(), null).findings).toEqual([]);
  });
});

describe('inspect: the VXLAN device', () => {
  it('reports a missing flannel device', () => {
    const f = healthyFacts();
    f.links = f.links.filter((l) => l.kind !== 'vxlan');
    const r = inspectFixture(f, healthySpecs());
    expect(ids(errorsOf(r.findings))).toContain('vxlan-device-missing');
  });
  it('reports a device that is down', () => {
    const f = healthyFacts();
    f.links[2]!.up = false;
    const found = inspectFixture(f, healthySpecs()).findings.find((x) => x.id === 'vxlan-device-down');
    expect(found?.remedy).toBe('ip link set dev flannel.1 up   (if it fails with "Address in use", see the port findings)');
  });
  it('reports an MTU above underlay - 50 with the exact fix', () => {
    const f = healthyFacts();
    f.links[1]!.mtu = 1400; // underlay shrank (e.g. a tunnel NIC), flannel.1 kept 1450
    const found = inspectFixture(f, healthySpecs()).findings.find((x) => x.id === 'vxlan-mtu');
    expect(found?.severity).toBe('error');
    expect(found?.evidence).toMatchObject({ mtu: 1450, underlay: 'eth0', underlayMtu: 1400, expectedMtu: 1350 });
    expect(found?.remedy).toMatch(/^ip link set dev flannel\.1 mtu 1350;/);
  });
  it('notes an MTU below underlay - 50 as info only', () => {
    const f = healthyFacts();
    f.links[2]!.mtu = 1400;
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings.map((x) => [x.id, x.severity])).toEqual([['vxlan-mtu-low', 'info']]);
  });
  it('uses the device link (IFLA_VXLAN_LINK) as underlay over the probed NIC', () => {
    const f = healthyFacts();
    f.nic = { ...f.nic, name: 'eth9', mtu: 9000 };
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
  });
  it('warns about learning and a missing local address', () => {
    const f = healthyFacts();
    f.links[2]!.vxlan!.learning = true;
    f.links[2]!.vxlan!.local = null;
    const r = inspectFixture(f, healthySpecs());
    expect(ids(r.findings).sort()).toEqual(['vxlan-learning', 'vxlan-no-local']);
    expect(r.findings.find((x) => x.id === 'vxlan-learning')?.remedy).toMatch(/^ip link set dev flannel\.1 type vxlan nolearning/);
  });
  it('errors when the device sends from an address the host lost', () => {
    const f = healthyFacts();
    f.links[2]!.vxlan!.local = '192.168.1.200';
    expect(ids(errorsOf(inspectFixture(f, healthySpecs()).findings))).toEqual(['vxlan-local-not-held']);
  });
  it('picks flannel.<VNI> among several VXLAN devices and flags leftovers', () => {
    const f = healthyFacts();
    f.links.push({
      ifindex: 9, name: 'flannel.7', mac: 'aa:bb:cc:00:00:07', mtu: 1450, up: false, kind: 'vxlan', masterIndex: null,
      vxlan: { vni: 7, port: 8472, local: null, group: null, underlayIndex: 2, learning: false, ttl: 0, udpCsum: false, srcPortRange: [0, 0], external: false },
    });
    const r = inspectFixture(f, healthySpecs());
    expect(r.self).toBe('node-a');
    expect(r.findings.map((x) => [x.id, x.severity, x.remedy])).toEqual([['vxlan-stale-device', 'warning', 'ip link del flannel.7']]);
  });
});

describe('inspect: who holds the VXLAN port', () => {
  it('names the program (pid + command) holding the port', () => {
    const f = healthyFacts();
    f.links[2]!.up = false; // the device could not bind
    f.ports = [{ port: 8472, holders: [{ kind: 'process', pid: 4242, command: 'socat', inode: 99 }] }];
    const r = inspectFixture(f, healthySpecs());
    const found = r.findings.find((x) => x.id === 'port-held-by-process');
    expect(found?.severity).toBe('error');
    expect(found?.node).toBe('node-a');
    expect(found?.evidence).toEqual({ port: 8472, pid: 4242, command: 'socat', inode: 99 });
    expect(found?.remedy).toMatch(/kill 4242/);
    expect(found?.remedy).toMatch(/"Port": 8475/);
  });
  it('reports an orphan socket with its inode', () => {
    const f = healthyFacts();
    f.ports[0]!.holders.push({ kind: 'socket', inode: 777, uid: 0 });
    const found = inspectFixture(f, healthySpecs()).findings.find((x) => x.id === 'port-held-by-process');
    expect(found?.message).toMatch(/inode 777/);
  });
  it('reports two VXLAN devices on the overlay port and which one to delete', () => {
    const f = healthyFacts();
    f.links.push({
      ifindex: 10, name: 'vxlan0', mac: 'aa:bb:cc:00:00:10', mtu: 1450, up: true, kind: 'vxlan', masterIndex: null,
      vxlan: { vni: 1, port: 8472, local: null, group: null, underlayIndex: 2, learning: true, ttl: 0, udpCsum: false, srcPortRange: [0, 0], external: false },
    });
    f.ports[0]!.holders.push({ kind: 'vxlan', device: 'vxlan0', ifindex: 10, vni: 1 });
    const found = inspectFixture(f, healthySpecs()).findings.find((x) => x.id === 'port-multiple-vxlan');
    expect(found?.severity).toBe('error');
    expect(found?.message).toMatch(/same VNI/);
    expect(found?.remedy).toMatch(/^ip link del vxlan0/);
  });
  it('errors when the device is up but nothing listens on its port', () => {
    const f = healthyFacts();
    f.ports = [{ port: 8472, holders: [] }];
    expect(ids(errorsOf(inspectFixture(f, healthySpecs()).findings))).toEqual(['port-not-listening']);
  });
});

describe('inspect: a foreign VXLAN device on the overlay port', () => {
  it('names the device holding the port when flannel.1 could not open it', () => {
    const f = healthyFacts();
    f.links[2]!.up = false;
    f.links.push({
      ifindex: 3, name: 'vxlan0', mac: 'd2:51:e5:5d:32:5b', mtu: 1500, up: true, kind: 'vxlan', masterIndex: null,
      vxlan: { vni: 0, port: 8472, local: null, group: null, underlayIndex: null, learning: false, ttl: 0, udpCsum: true, srcPortRange: [0, 0], external: false },
    });
    f.ports = [{ port: 8472, holders: [{ kind: 'vxlan', device: 'vxlan0', ifindex: 3, vni: 0 }] }];
    const r = inspectFixture(f, healthySpecs());
    expect(ids(errorsOf(r.findings))).toEqual(['vxlan-device-down', 'port-held-by-vxlan']);
    const found = r.findings.find((x) => x.id === 'port-held-by-vxlan')!;
    expect(found.message).toMatch(/vxlan0 \(external\/metadata mode\), not flannel\.1/);
    expect(found.remedy).toMatch(/^if vxlan0 \(VNI 0\) is not the overlay's device, delete it: ip link del vxlan0; if another CNI\/OVS needs it/);
  });
});
