// `vxprobe inspect` on Calico VXLAN nodes in the lab (src/lab/calico-overlay.ts):
// the cluster truth is Calico's own record of each node, given to --nodes as
// `kubectl get nodes -o json` prints it (Calico's annotations) or as
// `calicoctl get nodes -o json` prints it (projectcalico.org/v3 Nodes). The
// lab's tunnel addresses are not their pod ranges' network addresses, so
// these pass only when inspect uses the recorded tunnel address. The same
// Nodes in Calico's etcd datastore are read by `inspect --etcd`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CALICO_SCENARIOS } from '../../src/lab/calico-scenarios.js';
import { buildLab, labNodesDocument, type Lab } from '../../src/lab/lab.js';
import { listOurNetns } from '../../src/lab/netns.js';
import { pairInLab } from '../../src/lab/pair-probe.js';
import { describeRoot } from '../helpers/root.js';
import { result } from './pair-helpers.js';
import { seedEtcdInNetns } from './helpers/etcd-in-netns.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'vxprobe');
const ETCD = 'http://127.0.0.1:2379';

interface Finding {
  id: string;
  severity: string;
  node: string | null;
  message: string;
  remedy: string;
  evidence: Record<string, unknown>;
}
interface Report {
  node: string | null;
  device: string | null;
  findings: Finding[];
}

function inspectIn(lab: Lab, node: string, nodesFile: string): { code: number | null; report: Report } {
  const r = spawnSync('ip', ['netns', 'exec', lab.node(node).netns.name, process.execPath, BIN, 'inspect', '--json', '--nodes', nodesFile], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  try {
    return { code: r.status, report: JSON.parse(r.stdout) as Report };
  } catch {
    throw new Error(`inspect on ${node} printed no JSON (exit ${r.status}): ${r.stderr}`);
  }
}

/** The lab's nodes as `calicoctl get nodes -o json` prints them. */
function calicoctlDocument(lab: Lab): unknown {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NodeList',
    metadata: { resourceVersion: '1' },
    items: lab.nodes.map((n) => ({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: n.name },
      spec: {
        addresses: [{ address: n.ip, type: 'InternalIP' }],
        ipv4VXLANTunnelAddr: n.vtepIp,
        vxlanTunnelMACAddr: n.vtepMac,
        orchRefs: [{ nodeName: n.name, orchestrator: 'k8s' }],
      },
    })),
  };
}

const scenario = (name: string) => CALICO_SCENARIOS.find((s) => s.name === name)!;
const errorsOf = (r: Report) => r.findings.filter((f) => f.severity === 'error');

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vxp-calico-inspect-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeRoot('inspect on Calico VXLAN nodes', () => {
  it('calico-healthy: both nodes, from kubectl and calicoctl documents, give no error and no stale entry', () => {
    const lab = buildLab(scenario('calico-healthy'));
    try {
      expect(lab.node('b').vtepIp).toBe('10.244.2.192');
      const kubectl = join(dir, 'healthy-kubectl.json');
      const calicoctl = join(dir, 'healthy-calicoctl.json');
      writeFileSync(kubectl, JSON.stringify(labNodesDocument(lab)));
      writeFileSync(calicoctl, JSON.stringify(calicoctlDocument(lab)));
      for (const file of [kubectl, calicoctl]) {
        for (const node of ['a', 'b']) {
          const { code, report } = inspectIn(lab, node, file);
          const where = `${node} with ${file}: ${JSON.stringify(report.findings, null, 1)}`;
          expect(report.node, where).toBe(node);
          expect(report.device, where).toBe('vxlan.calico');
          expect(errorsOf(report), where).toEqual([]);
          // Felix's neighbor/FDB/route entries all belong to a known node.
          expect(report.findings.map((f) => f.id).filter((id) => id.endsWith('-stale')), where).toEqual([]);
          expect(code, where).toBe(0);
        }
      }
    } finally {
      lab.down();
    }
    expect(listOurNetns(lab.tag)).toEqual([]);
  }, 120_000);

  it("calico-stale-tunnel-mac: a reports b's stale neighbor and the leftover FDB entry, with the commands that fix them; b is clean; pair gives the same remedy", async () => {
    const lab = buildLab(scenario('calico-stale-tunnel-mac'));
    try {
      const file = join(dir, 'stale.json');
      writeFileSync(file, JSON.stringify(labNodesDocument(lab)));
      const a = inspectIn(lab, 'a', file);
      const where = JSON.stringify(a.report.findings, null, 1);
      expect(a.report.device).toBe('vxlan.calico');
      expect(errorsOf(a.report).map((f) => [f.id, f.node]), where).toEqual([['peer-neigh-mac', 'b']]);
      const neigh = a.report.findings.find((f) => f.id === 'peer-neigh-mac')!;
      expect(neigh.message).toContain("b's VTEP 10.244.2.192 is at 0e:fa:de:ad:00:02, but b's tunnel MAC (VXLANTunnelMACAddr) is 66:ca:00:00:00:02");
      expect(neigh.remedy).toBe('ip neigh replace 10.244.2.192 lladdr 66:ca:00:00:00:02 dev vxlan.calico nud permanent');
      const fdb = a.report.findings.find((f) => f.id === 'fdb-stale');
      expect(fdb, where).toBeDefined();
      expect(fdb!.evidence.entries).toEqual([`0e:fa:de:ad:00:02 -> ${lab.node('b').publicIp}`]);
      expect(fdb!.remedy).toBe(`bridge fdb del 0e:fa:de:ad:00:02 dev vxlan.calico dst ${lab.node('b').publicIp} self`);
      expect(a.code).toBe(1);

      const b = inspectIn(lab, 'b', file);
      expect(errorsOf(b.report), JSON.stringify(b.report.findings, null, 1)).toEqual([]);
      expect(b.code).toBe(0);

      // The same fault from the real frames: pair's verdict carries the rule layer's remedy verbatim.
      const pair = result(await pairInLab(lab), 4789, 'forward');
      expect(pair.verdict).toBe('vtep-mapping');
      expect(pair.remedy).toContain(neigh.remedy);
    } finally {
      lab.down();
    }
    expect(listOurNetns(lab.tag)).toEqual([]);
  }, 120_000);

  it("calico-stale-tunnel-mac from Calico's etcd datastore: inspect --etcd finds b's stale neighbor", () => {
    const lab = buildLab(scenario('calico-stale-tunnel-mac'));
    const dataDir = mkdtempSync(join(tmpdir(), 'vxp-calico-etcd-'));
    try {
      const a = lab.node('a');
      // An etcd on the namespace's own loopback: nothing else listens there.
      lab.spawn('a', ['etcd', '--name', 'vxp', '--data-dir', dataDir, '--listen-client-urls', ETCD, '--advertise-client-urls', ETCD,
        '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
        '--initial-cluster', 'vxp=http://127.0.0.1:2380'], { stdio: 'ignore' });
      const puts = (calicoctlDocument(lab) as { items: { metadata: { name: string } }[] }).items.map((n): [string, string] => [
        `/calico/resources/v3/projectcalico.org/nodes/${n.metadata.name}`,
        JSON.stringify(n),
      ]);
      const seeded = seedEtcdInNetns(a.netns.name, ETCD, puts);
      expect(seeded.status, seeded.stderr).toBe(0);
      const r = spawnSync('ip', ['netns', 'exec', a.netns.name, process.execPath, BIN, 'inspect', '--json', '--etcd', ETCD], { encoding: 'utf8', timeout: 30_000 });
      const report = JSON.parse(r.stdout) as Report & { source: { kind: string }; identifiedBy: string };
      expect(report.source.kind).toBe('etcd');
      // The namespaces share the host's hostname: a is known by vxlan.calico's MAC in its Calico record.
      expect([report.node, report.identifiedBy, report.device]).toEqual(['a', 'vtep-mac', 'vxlan.calico']);
      expect(errorsOf(report).map((f) => [f.id, f.node, f.remedy]), JSON.stringify(report.findings, null, 1)).toEqual([
        ['peer-neigh-mac', 'b', 'ip neigh replace 10.244.2.192 lladdr 66:ca:00:00:00:02 dev vxlan.calico nud permanent'],
      ]);
      expect(r.status).toBe(1);
    } finally {
      lab.down();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(listOurNetns(lab.tag)).toEqual([]);
  }, 120_000);
});
