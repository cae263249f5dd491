import { describe, expect, it } from 'vitest';
import { parseNodesDocument, readNodesFile } from '../../src/cluster/node-document.js';
import { UsageError } from '../../src/errors.js';
import { MAC_B, healthySpecs, listDoc, nodeDoc } from '../fixtures/inspect/cluster.js';

function docWith(mutate: (items: any[]) => void): string {
  const doc = listDoc(healthySpecs()) as { items: any[] };
  mutate(doc.items);
  return JSON.stringify(doc);
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('node documents', () => {
  it('parses a kubectl List into ClusterNodes', () => {
    const nodes = parseNodesDocument(JSON.stringify(listDoc(healthySpecs())));
    expect(nodes[1]).toEqual({
      name: 'node-b', internalIPs: ['192.168.1.122'], podCIDRs: ['10.244.1.0/24'], publicIp: '192.168.1.122',
      publicIpSource: 'public-ip', backendType: 'vxlan', vni: 1, vtepMac: MAC_B, annotationsMissing: [],
    });
  });
  it('parses a single Node and prefers public-ip-overwrite', () => {
    const [n] = parseNodesDocument(JSON.stringify(nodeDoc({ name: 'x', internalIp: '10.1.1.1', podCidr: '10.244.3.0/24', vtepMac: 'AA:BB:CC:DD:EE:FF', overwrite: '203.0.113.9' })));
    expect(n).toMatchObject({ publicIp: '203.0.113.9', publicIpSource: 'public-ip-overwrite', vtepMac: 'aa:bb:cc:dd:ee:ff', vni: null });
  });
  it('lists missing annotations instead of failing', () => {
    const nodes = parseNodesDocument(docWith((items) => { items[2].metadata.annotations = undefined; }));
    expect(nodes[2]!.annotationsMissing).toEqual(['backend-type', 'backend-data', 'public-ip']);
  });
  it('ignores IPv6 addresses and pod ranges of dual-stack nodes', () => {
    const nodes = parseNodesDocument(docWith((items) => {
      items[0].spec.podCIDRs.push('fd00:10:244::/64');
      items[0].status.addresses.push({ type: 'InternalIP', address: 'fd00::1' });
    }));
    expect(nodes[0]).toMatchObject({ podCIDRs: ['10.244.0.0/24'], internalIPs: ['192.168.1.121'] });
  });
  const bad: Array<[string, (items: any[]) => void, string]> = [
    ['backend-data not JSON', (i) => { i[2].metadata.annotations['flannel.alpha.coreos.com/backend-data'] = '{VtepMAC:'; }, 'items[2].metadata.annotations["flannel.alpha.coreos.com/backend-data"]: not JSON'],
    ['VtepMAC malformed', (i) => { i[1].metadata.annotations['flannel.alpha.coreos.com/backend-data'] = '{"VtepMAC":"zz:1"}'; }, 'items[1].metadata.annotations["flannel.alpha.coreos.com/backend-data"].VtepMAC: not a MAC address: "zz:1"'],
    ['VtepMAC absent', (i) => { i[1].metadata.annotations['flannel.alpha.coreos.com/backend-data'] = '{}'; }, '.VtepMAC: missing'],
    ['VNI out of range', (i) => { i[0].metadata.annotations['flannel.alpha.coreos.com/backend-data'] = '{"VNI":16777216,"VtepMAC":"02:00:00:00:00:01"}'; }, '.VNI: not a VNI (0..16777215): 16777216'],
    ['public-ip not IPv4', (i) => { i[0].metadata.annotations['flannel.alpha.coreos.com/public-ip'] = '10.0.2.300'; }, 'items[0].metadata.annotations["flannel.alpha.coreos.com/public-ip"]: not an IPv4 address: "10.0.2.300"'],
    ['annotation not a string', (i) => { i[0].metadata.annotations['flannel.alpha.coreos.com/public-ip'] = 42; }, '"flannel.alpha.coreos.com/public-ip"]: expected a string, got number 42'],
    ['podCIDR malformed', (i) => { i[1].spec.podCIDR = '10.244.1.0/33'; i[1].spec.podCIDRs = []; }, 'items[1].spec.podCIDR: not an IPv4 CIDR: "10.244.1.0/33"'],
    ['name missing', (i) => { delete i[0].metadata.name; }, 'items[0].metadata.name: missing'],
    ['addresses not an array', (i) => { i[2].status.addresses = {}; }, 'items[2].status.addresses: expected an array, got an object'],
    ['item not an object', (i) => { i[1] = 'node-b'; }, 'items[1]: expected a Node object'],
    ['wrong kind', (i) => { i[0].kind = 'Pod'; }, 'items[0].kind: expected "Node", got "Pod"'],
    ['duplicate names', (i) => { i[1].metadata.name = 'node-a'; }, 'items[1].metadata.name: duplicate node name "node-a"'],
  ];
  for (const [what, mutate, message] of bad) {
    it(`rejects ${what} naming the field`, () => {
      expect(errorOf(() => parseNodesDocument(docWith(mutate)))).toContain(message);
    });
  }
  it('rejects empty, non-JSON and non-node documents', () => {
    expect(errorOf(() => parseNodesDocument('', '--nodes -'))).toMatch(/^--nodes -: empty/);
    expect(errorOf(() => parseNodesDocument('{"items": [', '--nodes f.json'))).toMatch(/^--nodes f\.json: not JSON/);
    expect(errorOf(() => parseNodesDocument('[1,2]'))).toMatch(/expected a Node or a List/);
    expect(errorOf(() => parseNodesDocument('{"items": 5}'))).toBe('items: expected an array');
  });
  it('reads --nodes - from stdin and reports unreadable files', () => {
    const text = JSON.stringify(listDoc(healthySpecs()));
    expect(readNodesFile('-', () => text)).toHaveLength(3);
    expect(errorOf(() => readNodesFile('/nonexistent/nodes.json'))).toBe('--nodes /nonexistent/nodes.json: cannot read (ENOENT)');
  });
});
