// `vxprobe inspect` run inside the lab's node namespaces against the lab's
// own node document: every fault that is visible in a node's tables is
// reported, with the node it concerns, and healthy labs report no error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLab, labNodesDocument, type Lab } from '../../src/lab/lab.js';
import { listOurNetns } from '../../src/lab/netns.js';
import { describeRoot } from '../helpers/root.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vxprobe');

interface Report {
  node: string | null;
  identifiedBy: string | null;
  device: string | null;
  findings: { id: string; severity: string; node: string | null; message: string; remedy: string }[];
}

function inspectIn(lab: Lab, node: string, nodesFile: string): { code: number | null; report: Report; stderr: string } {
  const ns = lab.node(node).netns.name;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, BIN, 'inspect', '--json', '--nodes', nodesFile], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`inspect on ${node} printed no JSON (exit ${r.status}): ${r.stderr}`);
  }
  return { code: r.status, report, stderr: r.stderr };
}

/** [finding id, node it names] pairs that must be among a node's errors; 'clean' = no error. */
type Expect = Record<string, Array<[string, string]> | 'clean'>;

const CASES: Array<[string, Expect]> = [
  ['healthy-routed', { a: 'clean', b: 'clean' }],
  ['healthy-l2', { a: 'clean', b: 'clean' }],
  ['healthy-8475', { a: 'clean', b: 'clean' }],
  ['healthy-mesh', { a: 'clean', b: 'clean', c: 'clean' }],
  ['port-conflict-program', { a: 'clean', b: [['port-held-by-process', 'b'], ['vxlan-device-down', 'b']] }],
  ['port-conflict-vxlan', { a: 'clean', b: [['port-held-by-vxlan', 'b'], ['vxlan-device-down', 'b']] }],
  ['fdb-vagrant', { a: [['peer-fdb-dst', 'b']], b: 'clean' }],
  ['stale-vtep-mac', { a: [['peer-neigh-mac', 'b']], b: 'clean' }],
  ['wrong-public-ip', { a: [['public-ip-unreachable', 'b']], b: [['public-ip-unreachable', 'b']] }],
  ['dup-public-ip', { a: [['public-ip-duplicate', 'a'], ['public-ip-duplicate', 'b']], b: [['public-ip-duplicate', 'a'], ['public-ip-duplicate', 'b']] }],
  ['host-firewall-8472', { a: 'clean', b: [['input-rule-blocks-vxlan', 'b']] }],
  ['ip-forward-off', { a: 'clean', b: [['ip-forward-off', 'b']] }],
  ['forward-reject', { a: 'clean', b: [['forward-rule-blocks-pods', 'b']] }],
  ['rp-filter-strict', { a: 'clean', b: [['rp-filter-strict', 'b']] }],
  // Healthy-but-tricky host firewalls: no false alarm; their faulty twins name the rule or policy.
  ['host-centos', { a: 'clean', b: 'clean' }],
  ['host-firewalld', { a: 'clean', b: 'clean' }],
  ['host-docker-flannel', { a: 'clean', b: 'clean' }],
  ['host-kube-proxy-iptables', { a: 'clean', b: 'clean' }],
  ['host-kube-proxy-nft', { a: 'clean', b: 'clean' }],
  ['docker-no-flannel', { a: 'clean', b: [['forward-policy-drop', 'b']] }],
  ['reject-before-accept', { a: 'clean', b: [['forward-rule-blocks-pods', 'b']] }],
];

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vxp-inspect-lab-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeRoot('inspect in lab namespaces', () => {
  for (const [scenario, expectations] of CASES) {
    it(`${scenario}: ${Object.entries(expectations).map(([n, e]) => `${n} ${e === 'clean' ? 'clean' : e.map((x) => x[0]).join('+')}`).join(', ')}`, async () => {
      // Each case is synchronous work; yield first so the worker answers the
      // runner's messages between cases (a loaded machine otherwise times them out).
      await new Promise((resolve) => setImmediate(resolve));
      const lab = buildLab(scenario);
      try {
        const file = join(dir, `${scenario}.json`);
        writeFileSync(file, JSON.stringify(labNodesDocument(lab)));
        for (const [node, want] of Object.entries(expectations)) {
          const { code, report } = inspectIn(lab, node, file);
          // The node must recognise itself in the document (by its VtepMAC or addresses).
          expect(report.node, `${scenario} on ${node}`).toBe(node);
          expect(report.device).toBe(`flannel.${lab.vni}`);
          const errors = report.findings.filter((f) => f.severity === 'error').map((f) => [f.id, f.node]);
          if (want === 'clean') {
            expect(errors, `${scenario} on ${node}: ${JSON.stringify(report.findings, null, 1)}`).toEqual([]);
            expect(code).toBe(0);
          } else {
            expect(errors, `${scenario} on ${node}`).toEqual(expect.arrayContaining(want));
            expect(code).toBe(1);
            for (const f of report.findings) expect(f.remedy.length).toBeGreaterThan(0);
          }
        }
      } finally {
        lab.down();
      }
      expect(listOurNetns(lab.tag)).toEqual([]);
    }, 120_000);
  }

  it('device attributes on a real kernel: learning on, a leftover flannel.7, a stale neighbor of a deleted node', () => {
    const lab = buildLab('healthy-routed');
    try {
      lab.exec('a', ['ip', 'link', 'set', 'dev', 'flannel.1', 'type', 'vxlan', 'learning']);
      lab.exec('a', ['ip', 'link', 'add', 'flannel.7', 'type', 'vxlan', 'id', '7', 'dstport', '8472', 'nolearning']);
      lab.exec('a', ['ip', 'neigh', 'add', '10.244.99.0', 'lladdr', '02:00:00:00:99:00', 'dev', 'flannel.1', 'nud', 'permanent']);
      const file = join(dir, 'attrs.json');
      writeFileSync(file, JSON.stringify(labNodesDocument(lab)));
      const { code, report } = inspectIn(lab, 'a', file);
      expect(report.findings.map((f) => [f.id, f.severity, f.node])).toEqual(
        expect.arrayContaining([
          ['vxlan-learning', 'warning', 'a'],
          ['vxlan-stale-device', 'warning', 'a'],
          ['neigh-stale', 'warning', 'a'],
        ]),
      );
      expect(report.findings.find((f) => f.id === 'vxlan-stale-device')?.remedy).toBe('ip link del flannel.7');
      expect(report.findings.find((f) => f.id === 'neigh-stale')?.remedy).toBe('ip neigh del 10.244.99.0 dev flannel.1');
      expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(code).toBe(0);
    } finally {
      lab.down();
    }
    expect(listOurNetns(lab.tag)).toEqual([]);
  }, 120_000);

  it('tx checksum offload on flannel.1 while the node is reached through NAT (flannel#1279), read with ethtool ioctls', () => {
    const lab = buildLab('healthy-routed');
    try {
      lab.exec('a', ['ethtool', '-K', 'flannel.1', 'tx-checksum-ip-generic', 'on']);
      const doc = labNodesDocument(lab);
      doc.items.find((n) => n.metadata.name === 'a')!.metadata.annotations['flannel.alpha.coreos.com/public-ip-overwrite'] = '203.0.113.10';
      const file = join(dir, 'nat.json');
      writeFileSync(file, JSON.stringify(doc));
      const on = inspectIn(lab, 'a', file).report.findings.map((f) => [f.id, f.severity, f.node]);
      expect(on).toEqual(expect.arrayContaining([['offload-tx-csum-nat', 'warning', 'a'], ['self-public-ip-nat', 'info', 'a']]));
      lab.exec('a', ['ethtool', '-K', 'flannel.1', 'tx-checksum-ip-generic', 'off']);
      const off = inspectIn(lab, 'a', file).report.findings.map((f) => f.id);
      expect(off).not.toContain('offload-tx-csum-nat');
      expect(off).toContain('self-public-ip-nat');
    } finally {
      lab.down();
    }
    expect(listOurNetns(lab.tag)).toEqual([]);
  }, 120_000);

  it('MTU mismatch: a NIC shrunk under flannel.1 (vxlan-mtu on a), self VtepMAC annotation wrong (self-vtep-mac on b)', () => {
    const lab = buildLab('healthy-l2');
    try {
      lab.exec('a', ['ip', 'link', 'set', 'dev', 'eth0', 'mtu', '1400']);
      const doc = labNodesDocument(lab);
      const b = doc.items.find((n) => n.metadata.name === 'b')!;
      b.metadata.annotations['flannel.alpha.coreos.com/backend-data'] = JSON.stringify({ VNI: lab.vni, VtepMAC: '0e:fa:99:99:99:99' });
      const file = join(dir, 'hand-made.json');
      writeFileSync(file, JSON.stringify(doc));
      const onA = inspectIn(lab, 'a', file);
      const mtu = onA.report.findings.find((f) => f.id === 'vxlan-mtu');
      expect(mtu?.node).toBe('a');
      expect(mtu?.remedy).toMatch(/^ip link set dev flannel\.1 mtu 1350;/);
      expect(onA.code).toBe(1);
      const onB = inspectIn(lab, 'b', file);
      expect(onB.report.node).toBe('b'); // recognised by InternalIP once the VtepMAC no longer matches
      expect(onB.report.findings.filter((f) => f.severity === 'error').map((f) => [f.id, f.node])).toEqual([['self-vtep-mac', 'b']]);
      // a's tables follow b's real MAC, so a now disagrees with the (wrong) annotation.
      expect(inspectIn(lab, 'a', file).report.findings.map((f) => [f.id, f.node])).toEqual(
        expect.arrayContaining([['peer-neigh-mac', 'b'], ['peer-fdb-missing', 'b']]),
      );
    } finally {
      lab.down();
    }
    expect(listOurNetns(lab.tag)).toEqual([]);
  }, 120_000);
});
