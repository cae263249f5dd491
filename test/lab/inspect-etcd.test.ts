// The etcd path on a real kernel: an etcd server inside a lab node's
// namespace holds flannel leases that mirror the lab, and `inspect --etcd`
// run in that namespace finds the Vagrant FDB fault against them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { buildLab } from '../../src/lab/lab.js';
import { listOurNetns } from '../../src/lab/netns.js';
import { describeRoot } from '../helpers/root.js';
import { seedEtcdInNetns } from './helpers/etcd-in-netns.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const URL = 'http://127.0.0.1:2379';

describeRoot('inspect --etcd in a lab namespace', () => {
  it('reads leases from etcd and reports fdb-vagrant on node a, naming b\'s lease', () => {
    const lab = buildLab('fdb-vagrant');
    const dataDir = mkdtempSync(join(tmpdir(), 'vxp-etcd-lab-'));
    try {
      const a = lab.node('a');
      // The namespace's own loopback: nothing else listens there.
      lab.spawn('a', ['etcd', '--name', 'vxp', '--data-dir', dataDir, '--listen-client-urls', URL, '--advertise-client-urls', URL,
        '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
        '--initial-cluster', 'vxp=http://127.0.0.1:2380'], { stdio: 'ignore' });
      const puts: Array<[string, string]> = [
        ['/coreos.com/network/config', JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan', VNI: lab.vni, Port: lab.port } })],
        ...lab.nodes.map((n): [string, string] => [
          `/coreos.com/network/subnets/${n.podCidr.replace('/', '-')}`,
          JSON.stringify({ PublicIP: n.publicIp, BackendType: 'vxlan', BackendData: { VNI: n.vni, VtepMAC: n.vtepMac } }),
        ]),
      ];
      const seeded = seedEtcdInNetns(a.netns.name, URL, puts);
      expect(seeded.status, seeded.stderr).toBe(0);

      const r = spawnSync('ip', ['netns', 'exec', a.netns.name, process.execPath, join(ROOT, 'bin', 'vxprobe'), 'inspect', '--json', '--etcd', URL], { encoding: 'utf8', timeout: 30_000 });
      const report = JSON.parse(r.stdout) as { node: string; identifiedBy: string; source: { kind: string }; findings: { id: string; severity: string; node: string; remedy: string }[] };
      const b = lab.node('b');
      const bLease = b.podCidr.replace('/', '-');
      expect(report.source.kind).toBe('etcd');
      expect(report.node).toBe(a.podCidr.replace('/', '-'));
      expect(report.identifiedBy).toBe('vtep-mac');
      expect(report.findings.filter((f) => f.severity === 'error').map((f) => [f.id, f.node])).toEqual([['peer-fdb-dst', bLease]]);
      expect(report.findings[0]!.remedy).toContain(`bridge fdb replace ${b.vtepMac} dev flannel.${lab.vni} dst ${b.publicIp} self permanent`);
      expect(r.status).toBe(1);
    } finally {
      lab.down();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(listOurNetns(lab.tag)).toEqual([]);
  }, 120_000);
});
