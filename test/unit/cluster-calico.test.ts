// Calico VXLAN truth: VTEP address, tunnel MAC and node IP from Calico Node
// resources, Kubernetes Node annotations and etcd; bad input is one line
// naming the field; and the entries Felix programs for a peer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calicoNodesFromEtcd, felixEntriesFor, parseCalicoNodes } from '../../src/cluster/calico.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'calico', name), 'utf8');

describe('Calico nodes', () => {
  it('calicoctl get nodes -o json: tunnel address and MAC, node IP from BGP or the node\'s addresses', () => {
    expect(parseCalicoNodes(fixture('calicoctl-nodes.json'))).toEqual([
      { name: 'node-a', nodeIp: '192.168.1.11', vtepIp: '10.244.17.0', vtepMac: '66:2e:3a:0b:11:01', source: 'calico-node' },
      { name: 'node-b', nodeIp: '192.168.1.12', vtepIp: '10.244.42.64', vtepMac: '66:2e:3a:0b:11:02', source: 'calico-node' },
      // Not yet given a VTEP by Calico: no tunnel fields.
      { name: 'node-new', nodeIp: '192.168.1.13', vtepIp: null, vtepMac: null, source: 'calico-node' },
    ]);
  });

  it('the same resources as CRDs (kubectl get nodes.crd.projectcalico.org -o json)', () => {
    const crd = fixture('calicoctl-nodes.json').replaceAll('projectcalico.org/v3', 'crd.projectcalico.org/v1');
    expect(parseCalicoNodes(crd).map((n) => n.vtepIp)).toEqual(['10.244.17.0', '10.244.42.64', null]);
  });

  it('Kubernetes datastore: the projectcalico.org/ annotations of kubectl get nodes -o json', () => {
    expect(parseCalicoNodes(fixture('kubernetes-nodes.json'))).toEqual([
      { name: 'worker-1', nodeIp: '10.0.0.21', vtepIp: '172.16.9.128', vtepMac: '66:aa:bb:cc:dd:01', source: 'kubernetes-annotations' },
      { name: 'worker-2', nodeIp: '10.0.0.22', vtepIp: '172.16.3.0', vtepMac: '66:aa:bb:cc:dd:02', source: 'kubernetes-annotations' },
    ]);
  });

  it('etcd: v3 Node resources under /calico/resources/v3/projectcalico.org/nodes/', () => {
    const items = (JSON.parse(fixture('calicoctl-nodes.json')) as { items: { metadata: { name: string } }[] }).items;
    const kvs = [
      ...items.map((n) => ({ key: `/calico/resources/v3/projectcalico.org/nodes/${n.metadata.name}`, value: JSON.stringify(n) })),
      { key: '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool', value: '{}' },
    ];
    expect(calicoNodesFromEtcd(kvs).map((n) => `${n.name}=${n.vtepMac}`)).toEqual(['node-a=66:2e:3a:0b:11:01', 'node-b=66:2e:3a:0b:11:02', 'node-new=null']);
    const renamed = [{ key: '/calico/resources/v3/projectcalico.org/nodes/other', value: JSON.stringify(items[0]) }];
    expect(() => calicoNodesFromEtcd(renamed, 'http://127.0.0.1:2379')).toThrow(/nodes\/other: metadata.name "node-a" does not match its key/);
  });

  it.each([
    ['not JSON', '{', /Calico nodes: not JSON/],
    ['an array', '[]', /expected a JSON object/],
    ['a bad tunnel MAC', JSON.stringify({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'x' }, spec: { vxlanTunnelMACAddr: 'zz' } }), /^Calico nodes\.spec\.vxlanTunnelMACAddr: not a MAC address: "zz"$/],
    ['a bad tunnel address', JSON.stringify({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'x' }, spec: { ipv4VXLANTunnelAddr: '10.0.0.300' } }), /spec\.ipv4VXLANTunnelAddr: not an IPv4 address/],
    ['a bad annotation', JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x', annotations: { 'projectcalico.org/VXLANTunnelMACAddr': 5 } } }), /annotations\["projectcalico.org\/VXLANTunnelMACAddr"\]: expected a string/],
    ['no name', JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: {} }), /metadata\.name: missing/],
    ['another kind', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }), /kind: expected "Node", got "Pod"/],
    ['another API', JSON.stringify({ apiVersion: 'apps/v1', kind: 'Node', metadata: { name: 'x' } }), /apiVersion: expected projectcalico.org\/v3/],
    ['a node twice', JSON.stringify({ items: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } }] }), /node "x" appears twice/],
  ])('%s: one line naming the field', (_what, text, message) => {
    expect(() => parseCalicoNodes(text)).toThrow(message);
  });
});

describe('Felix\'s entries for a peer', () => {
  it('permanent neighbor and FDB, the tunnel address connected, blocks via it onlink', () => {
    const [, b] = parseCalicoNodes(fixture('calicoctl-nodes.json'));
    expect(felixEntriesFor(b!, ['10.244.42.64/26'])).toEqual([
      { kind: 'neighbor', ip: '10.244.42.64', mac: '66:2e:3a:0b:11:02', permanent: true },
      { kind: 'fdb', mac: '66:2e:3a:0b:11:02', dst: '192.168.1.12', permanent: true },
      { kind: 'route', dst: '10.244.42.64/32', gateway: null, onlink: false },
      { kind: 'route', dst: '10.244.42.64/26', gateway: '10.244.42.64', onlink: true },
    ]);
  });

  it('nothing for a peer without a VTEP yet', () => {
    const nodes = parseCalicoNodes(fixture('calicoctl-nodes.json'));
    expect(felixEntriesFor(nodes[2]!)).toEqual([]);
  });
});
