// Agents fed by a real etcd (flannel's subnet leases, watched) instead of a
// nodes document: etcd runs in node a's namespace on the lab underlay, every
// agent watches it, a hijacked pair shows up on exactly its cells, and a lease
// deleted from etcd removes that node from every agent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import type { Scenario } from '../../src/lab/types.js';
import { describeRoot } from '../helpers/root.js';
import { etcdScriptInNetns } from './helpers/etcd-in-netns.js';
import { AgentMesh, until } from './helpers/agent-mesh.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The etcd watcher is its own module (docs/agent.md, "Command line"); a build without it has nothing to test here.

const scenario: Scenario = {
  name: 'agent-etcd', description: 'four nodes, flannel leases in etcd, 8472 hijacked between b and c', topology: 'mesh', nodeCount: 4,
  faults: [{ kind: 'hypervisor-eats-vxlan', port: 8472, between: ['b', 'c'] }],
  expected: { forward: {}, reverse: {}, expectedVerdicts: [], expectedFindings: [] },
};

function etcdctl(lab: Lab, url: string, script: string): void {
  const r = etcdScriptInNetns(lab.node('a').netns.name, url, script);
  expect(r.status, r.stderr).toBe(0);
}

describeRoot('vxprobe agent --etcd on a lab mesh', () => {
  let lab: Lab;
  let mesh: AgentMesh;
  let dataDir: string;
  const lease = (node: string) => lab.node(node).podCidr.replace('/', '-');

  beforeAll(() => {
    lab = buildLab(scenario);
    dataDir = mkdtempSync(join(tmpdir(), 'vxp-agent-etcd-'));
    const url = `http://${lab.node('a').ip}:2379`;
    lab.spawn('a', ['etcd', '--name', 'vxp', '--data-dir', dataDir, '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
      '--initial-cluster', 'vxp=http://127.0.0.1:2380'], { stdio: 'ignore' });
    const puts = [
      ['/coreos.com/network/config', JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan', VNI: lab.vni, Port: lab.port } })],
      ...lab.nodes.map((n) => [`/coreos.com/network/subnets/${lease(n.name)}`, JSON.stringify({ PublicIP: n.publicIp, BackendType: 'vxlan', BackendData: { VNI: n.vni, VtepMAC: n.vtepMac } })]),
    ];
    etcdctl(lab, url, `for (const [k, v] of ${JSON.stringify(puts)}) await etcdPut(url, k, v);`);
    // etcd names nodes by their lease; each agent is told its own.
    mesh = new AgentMesh(lab, ['--interval', '4s', '--peers', '3', '--random-peers', '0'], (node) => ['--etcd', url, '--name', lease(node)]);
    for (const n of lab.nodes) mesh.start(n.name);
  });

  afterAll(async () => {
    await mesh?.stopAll();
    mesh?.cleanup();
    lab?.down();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the hijacked pair, and only it, is wrong on both its agents', async () => {
    const bad = (n: string) => (mesh.results(n) ?? []).filter((r) => r.verdict !== 'ok').map((r) => `${r.peer} ${r.port}/${r.direction}=${r.verdict}`).sort();
    await until('stable verdicts from etcd-fed agents', 120_000, () =>
      ['a', 'b', 'c', 'd'].every((n) => (mesh.results(n) ?? []).length === 3 * 4 && mesh.results(n)!.every((r) => r.stable)),
    );
    expect(bad('b')).toEqual([`${lease('c')} 8472/forward=hijacked`, `${lease('c')} 8472/reverse=hijacked`]);
    expect(bad('c')).toEqual([`${lease('b')} 8472/forward=hijacked`, `${lease('b')} 8472/reverse=hijacked`]);
    expect(bad('a')).toEqual([]);
    expect(bad('d')).toEqual([]);
    const peers = JSON.parse(mesh.get('a', '/api/v1/peers')!) as { source: { kind: string; synced: boolean } };
    expect(peers.source).toMatchObject({ kind: 'etcd', synced: true });
  }, 150_000);

  it('a lease deleted from etcd leaves every agent (watched, not polled)', async () => {
    await mesh.stop('d');
    etcdctl(lab, `http://${lab.node('a').ip}:2379`, `
      const { etcdDelete } = await import(${JSON.stringify(join(ROOT, 'dist', 'cluster', 'etcd.js'))}).catch(() => ({}));
      if (etcdDelete) await etcdDelete(url, '/coreos.com/network/subnets/${lease('d')}');
      else {
        const key = Buffer.from('/coreos.com/network/subnets/${lease('d')}').toString('base64');
        const res = await fetch(url + '/v3/kv/deleterange', { method: 'POST', body: JSON.stringify({ key }) });
        if (!res.ok) throw new Error('deleterange: HTTP ' + res.status);
      }`);
    await until('d gone', 30_000, () => ['a', 'b', 'c'].every((n) => {
      const m = mesh.get(n, '/metrics');
      return m && /^vxprobe_known_peers 2$/m.test(m) && !(mesh.results(n) ?? []).some((r) => r.peer === lease('d'));
    }));
  }, 60_000);
});
