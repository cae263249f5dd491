// inspect on a Calico VXLAN node: Calico's node records (calicoctl's v3 Nodes,
// or Kubernetes Nodes with Calico's annotations) become cluster truth with the
// tunnel address and MAC, and the peer checks use that address on
// vxlan.calico. The host below is node-a with everything Felix programs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodesFromJson, parseNodesDocument } from '../../src/cluster/node-document.js';
import type { Json } from '../../src/cluster/validate.js';
import type { HostFacts } from '../../src/host/types.js';
import { clusterVni, identifySelf, selectOverlayDevice } from '../../src/inspect/identify.js';
import { inspectHost } from '../../src/inspect/inspect-host.js';
import { errorsOf, healthyFacts, ids, listDoc, healthySpecs } from '../fixtures/inspect/cluster.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'calico', name), 'utf8');

const MAC = { a: '66:ca:00:00:00:0a', b: '66:ca:00:00:00:0b', c: '66:ca:00:00:00:0c' };
// Tunnel addresses from each node's block, none of them a network address.
const TUN = { a: '10.244.0.64', b: '10.244.1.64', c: '10.244.2.64' };

interface CalicoSpec { name: string; ip: string; tunnel?: string | null; mac?: string | null }

function calicoctlDoc(specs: CalicoSpec[]): Json {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NodeList',
    metadata: {},
    items: specs.map((s) => ({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: s.name },
      spec: {
        bgp: { ipv4Address: `${s.ip}/24` },
        ...(s.tunnel === null ? {} : { ipv4VXLANTunnelAddr: s.tunnel }),
        ...(s.mac === null ? {} : { vxlanTunnelMACAddr: s.mac }),
      },
    })),
  };
}

const specs = (): CalicoSpec[] => [
  { name: 'node-a', ip: '192.168.1.121', tunnel: TUN.a, mac: MAC.a },
  { name: 'node-b', ip: '192.168.1.122', tunnel: TUN.b, mac: MAC.b },
  { name: 'node-c', ip: '192.168.1.123', tunnel: TUN.c, mac: MAC.c },
];

/** node-a as Felix leaves it: vxlan.calico (VNI 4096, udp/4789) and each peer's three entries plus the tunnel /32. */
function calicoFacts(): HostFacts {
  const f = healthyFacts();
  const dev = f.links.find((l) => l.name === 'flannel.1')!;
  Object.assign(dev, { name: 'vxlan.calico', mac: MAC.a });
  dev.vxlan = { ...dev.vxlan!, vni: 4096, port: 4789 };
  for (const x of [...f.addresses, ...f.routes, ...f.neighbors, ...f.fdb]) if (x.ifname === 'flannel.1') x.ifname = 'vxlan.calico';
  f.addresses.find((a) => a.ifname === 'vxlan.calico')!.address = TUN.a;
  f.routes = f.routes.filter((r) => r.ifindex !== 5);
  for (const p of ['b', 'c'] as const) {
    const block = `10.244.${p === 'b' ? 1 : 2}.0/24`;
    f.routes.push({ dst: `${TUN[p]}/32`, gateway: null, ifindex: 5, ifname: 'vxlan.calico', prefsrc: null, onlink: false, table: 254, type: 'unicast' });
    f.routes.push({ dst: block, gateway: TUN[p], ifindex: 5, ifname: 'vxlan.calico', prefsrc: null, onlink: true, table: 254, type: 'unicast' });
  }
  f.neighbors = f.neighbors.filter((n) => n.ifindex !== 5);
  f.neighbors.push({ ifindex: 5, ifname: 'vxlan.calico', ip: TUN.b, mac: MAC.b, state: ['permanent'] });
  f.neighbors.push({ ifindex: 5, ifname: 'vxlan.calico', ip: TUN.c, mac: MAC.c, state: ['permanent'] });
  f.fdb = [
    { ifindex: 5, ifname: 'vxlan.calico', mac: MAC.b, dst: '192.168.1.122', port: null, vni: null, permanent: true },
    { ifindex: 5, ifname: 'vxlan.calico', mac: MAC.c, dst: '192.168.1.123', port: null, vni: null, permanent: true },
  ];
  f.ports = [{ port: 4789, holders: [{ kind: 'vxlan', device: 'vxlan.calico', ifindex: 5, vni: 4096 }] }];
  f.sysctls.rpFilter = { all: 0, default: 0, eth0: 0, 'vxlan.calico': 0, cni0: 0 };
  f.offloads[0]!.ifname = 'vxlan.calico';
  return f;
}

function run(facts: HostFacts, doc: Json) {
  const cluster = nodesFromJson(doc);
  const overlay = selectOverlayDevice(facts, clusterVni(cluster, null));
  const match = identifySelf(facts, cluster, overlay);
  return { device: overlay?.name ?? null, self: match?.name ?? null, by: match?.by ?? null, findings: inspectHost(facts, cluster, match?.name ?? null) };
}

describe('Calico node records as inspect cluster truth', () => {
  it('calicoctl get nodes -o json: node IP, tunnel address and MAC; a node without a VTEP yet lists what is missing', () => {
    const nodes = parseNodesDocument(fixture('calicoctl-nodes.json'));
    expect(nodes.map((n) => [n.name, n.overlay, n.publicIp, n.publicIpSource, n.vtepIp, n.vtepMac, n.annotationsMissing])).toEqual([
      ['node-a', 'calico', '192.168.1.11', 'calico', '10.244.17.0', '66:2e:3a:0b:11:01', []],
      ['node-b', 'calico', '192.168.1.12', 'calico', '10.244.42.64', '66:2e:3a:0b:11:02', []],
      ['node-new', 'calico', '192.168.1.13', 'calico', null, null, ['IPv4VXLANTunnelAddr', 'VXLANTunnelMACAddr']],
    ]);
  });

  it('kubectl get nodes -o json with Calico annotations (Kubernetes datastore): InternalIPs kept, IPv6 dropped', () => {
    const nodes = parseNodesDocument(fixture('kubernetes-nodes.json'));
    expect(nodes.map((n) => [n.name, n.overlay, n.internalIPs, n.publicIp, n.vtepIp, n.vtepMac])).toEqual([
      ['worker-1', 'calico', ['10.0.0.21'], '10.0.0.21', '172.16.9.128', '66:aa:bb:cc:dd:01'],
      ['worker-2', 'calico', ['10.0.0.22'], '10.0.0.22', '172.16.3.0', '66:aa:bb:cc:dd:02'],
    ]);
  });

  it("flannel nodes stay flannel's, also with Calico's IPv4Address beside them (Canal)", () => {
    const doc = listDoc(healthySpecs()) as { items: { metadata: { annotations: Record<string, string> } }[] };
    doc.items[0]!.metadata.annotations['projectcalico.org/IPv4Address'] = '192.168.1.121/24';
    doc.items[0]!.metadata.annotations['projectcalico.org/IPv4VXLANTunnelAddr'] = '10.244.0.64';
    const nodes = nodesFromJson(doc as unknown as Json);
    expect(nodes.map((n) => [n.overlay, n.vtepIp])).toEqual([[undefined, undefined], [undefined, undefined], [undefined, undefined]]);
  });

  it('a malformed tunnel address is one usage error naming the field', () => {
    const doc = calicoctlDoc([{ name: 'n', ip: '192.168.1.9', tunnel: '10.244.0.999', mac: MAC.a }]);
    expect(() => nodesFromJson(doc)).toThrow(/items\[0\]\.spec\.ipv4VXLANTunnelAddr/);
  });
});

describe('inspect on a Calico node', () => {
  it('a healthy node: vxlan.calico chosen, itself found by its tunnel MAC, no finding at all', () => {
    const r = run(calicoFacts(), calicoctlDoc(specs()));
    expect([r.device, r.self]).toEqual(['vxlan.calico', 'node-a']);
    expect(r.findings).toEqual([]);
  });

  it("a stale neighbor for node-b's tunnel address names node-b, its recorded MAC and the fix on vxlan.calico", () => {
    const f = calicoFacts();
    f.neighbors.find((n) => n.ip === TUN.b)!.mac = '0e:fa:de:ad:00:0b';
    f.fdb.push({ ifindex: 5, ifname: 'vxlan.calico', mac: '0e:fa:de:ad:00:0b', dst: '192.168.1.122', port: null, vni: null, permanent: true });
    const r = run(f, calicoctlDoc(specs()));
    expect(errorsOf(r.findings).map((x) => [x.id, x.node, x.remedy])).toEqual([
      ['peer-neigh-mac', 'node-b', `ip neigh replace ${TUN.b} lladdr ${MAC.b} dev vxlan.calico nud permanent`],
    ]);
    expect(r.findings.find((x) => x.id === 'fdb-stale')?.remedy).toBe('bridge fdb del 0e:fa:de:ad:00:0b dev vxlan.calico dst 192.168.1.122 self');
  });

  it("routes: a block via a known tunnel address is Felix's; one via no node's tunnel address is stale; a peer without any is reported", () => {
    const f = calicoFacts();
    f.routes.push({ dst: '10.244.7.0/26', gateway: TUN.c, ifindex: 5, ifname: 'vxlan.calico', prefsrc: null, onlink: true, table: 254, type: 'unicast' });
    f.routes.push({ dst: '10.244.9.0/26', gateway: '10.244.9.1', ifindex: 5, ifname: 'vxlan.calico', prefsrc: null, onlink: true, table: 254, type: 'unicast' });
    f.routes = f.routes.filter((r) => r.gateway !== TUN.b);
    const r = run(f, calicoctlDoc(specs()));
    expect(r.findings.map((x) => [x.id, x.node])).toEqual([['peer-route-missing', 'node-b'], ['route-stale', 'node-a']]);
    expect(r.findings[1]!.evidence.entries).toEqual(['10.244.9.0/26 via 10.244.9.1']);
  });

  it('a peer Calico has not given a VTEP yet: annotations-missing with a Calico remedy, no peer-table errors for it', () => {
    const s = specs();
    s[2] = { ...s[2]!, tunnel: null, mac: null };
    const r = run(calicoFacts(), calicoctlDoc(s));
    const errs = errorsOf(r.findings);
    expect(errs.map((x) => [x.id, x.node])).toEqual([['annotations-missing', 'node-c']]);
    expect(errs[0]!.remedy).toContain('calico-node');
    expect(ids(r.findings)).toContain('neigh-stale'); // node-c's old entries belong to no recorded VTEP
  });

  it('no vxlan.calico on a Calico node: vxlan-device-missing names Calico and its fix, not flannel', () => {
    const f = calicoFacts();
    f.links = f.links.filter((l) => l.name !== 'vxlan.calico');
    const r = run(f, calicoctlDoc(specs()));
    const missing = r.findings.find((x) => x.id === 'vxlan-device-missing')!;
    expect(missing.message).toContain('vxlan.calico');
    expect(missing.remedy).toContain('calico-node');
    expect(missing.remedy).not.toContain('flannel');
  });

  it("this node's recorded tunnel MAC differs from vxlan.calico's: self-vtep-mac with Calico's remedy", () => {
    const s = specs();
    s[0] = { ...s[0]!, mac: '66:ca:00:00:00:ff' };
    const r = run(calicoFacts(), calicoctlDoc(s));
    expect(errorsOf(r.findings).map((x) => [x.id, x.node])).toEqual([['self-vtep-mac', 'node-a']]);
    expect(errorsOf(r.findings)[0]!.remedy).toMatch(/restart calico-node on node-a/);
  });
});
