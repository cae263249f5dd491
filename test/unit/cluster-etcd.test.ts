// flannel's etcd leases read from a real etcd server (Debian's etcd-server)
// that this test starts on loopback with a temporary data dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALICO_ETCD_FALLBACK } from '../../src/cluster/calico.js';
import { etcdPut, readEtcdCluster } from '../../src/cluster/etcd.js';
import { CannotRunError, UsageError } from '../../src/errors.js';
import { MAC_A, MAC_B, MAC_C, healthyFacts } from '../fixtures/inspect/cluster.js';
import { identifySelf, selectOverlayDevice } from '../../src/inspect/identify.js';
import { inspectHost } from '../../src/inspect/inspect-host.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

let etcd: ChildProcess | undefined;
let dataDir = '';
let url = '';
let log = '';

async function waitReady(deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || etcd?.exitCode != null) throw new Error(`etcd did not start: ${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const lease = (publicIp: string, mac: string, vni = 1) =>
  JSON.stringify({ PublicIP: publicIp, PublicIPv6: null, BackendType: 'vxlan', BackendData: { VNI: vni, VtepMAC: mac } });

beforeAll(async () => {
  const [client, peer] = [await freePort(), await freePort()];
  dataDir = mkdtempSync(join(tmpdir(), 'vxp-etcd-'));
  url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  etcd = spawn('etcd', [
    '--name', 'vxp', '--data-dir', dataDir,
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `vxp=${peerUrl}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  etcd.stdout?.on('data', (d) => (log += d));
  etcd.stderr?.on('data', (d) => (log += d));
  etcd.on('error', (err) => (log += `spawn error: ${err.message} (apt-get install etcd-server)`));
  await waitReady(Date.now() + 30_000);
  const p = '/coreos.com/network';
  await etcdPut(url, `${p}/config`, JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan', VNI: 1, Port: 8472 } }));
  await etcdPut(url, `${p}/subnets/10.244.0.0-24`, lease('192.168.1.121', MAC_A));
  await etcdPut(url, `${p}/subnets/10.244.1.0-24`, lease('192.168.1.122', MAC_B));
  await etcdPut(url, `${p}/subnets/10.244.2.0-24`, lease('10.0.2.15', MAC_C));
  // Another prefix with broken leases, to test the errors.
  await etcdPut(url, '/bad/network/config', JSON.stringify({ Network: '10.245.0.0/16', Backend: { Type: 'vxlan' } }));
  await etcdPut(url, '/bad/network/subnets/10.245.3.0-24', '{"PublicIP": "10.0.0.300", "BackendType": "vxlan", "BackendData": {"VtepMAC": "02:00:00:00:00:01"}}');
  await etcdPut(url, '/nojson/network/subnets/10.246.3.0-24', 'not json');
  // Keys that share a byte prefix must not leak into the range.
  await etcdPut(url, '/coreos.com/networkX/subnets/10.9.9.0-24', lease('1.1.1.1', MAC_A));
}, 60_000);

afterAll(() => {
  if (etcd?.pid && etcd.exitCode === null) process.kill(etcd.pid, 'SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('etcd leases (real etcd)', () => {
  it('reads the network config and every subnet lease', async () => {
    const truth = await readEtcdCluster(url);
    expect(truth.config).toEqual({ network: '10.244.0.0/16', backendType: 'vxlan', vni: 1, port: 8472 });
    expect(truth.nodes.map((n) => [n.name, n.podCIDRs[0], n.publicIp, n.vtepMac, n.vni])).toEqual([
      ['10.244.0.0-24', '10.244.0.0/24', '192.168.1.121', MAC_A, 1],
      ['10.244.1.0-24', '10.244.1.0/24', '192.168.1.122', MAC_B, 1],
      ['10.244.2.0-24', '10.244.2.0/24', '10.0.2.15', MAC_C, 1],
    ]);
  });
  it('drives the checks: self by VtepMAC, the Vagrant lease and the FDB that follows it', async () => {
    const truth = await readEtcdCluster(url);
    const facts = healthyFacts();
    facts.fdb[1]!.dst = '10.0.2.15';
    const overlay = selectOverlayDevice(facts, 1);
    const self = identifySelf(facts, truth.nodes, overlay);
    expect(self).toEqual({ name: '10.244.0.0-24', by: 'vtep-mac' });
    const findings = inspectHost(facts, truth.nodes, self!.name, { config: truth.config });
    expect(findings.filter((f) => f.severity === 'error').map((f) => [f.id, f.node])).toEqual([['public-ip-unreachable', '10.244.2.0-24']]);
  });
  it('keeps credentials in the URL out of the origin it reports (and off the wire)', async () => {
    const truth = await readEtcdCluster(url.replace('http://', 'http://alice:s3cret@'));
    expect(truth.origin).toBe(url);
    expect(truth.nodes).toHaveLength(3);
  });
  it('names the bad lease field', async () => {
    await expect(readEtcdCluster(url, { prefix: '/bad/network' })).rejects.toThrow(
      new UsageError('etcd /bad/network/subnets/10.245.3.0-24.PublicIP: not an IPv4 address: "10.0.0.300"'),
    );
    await expect(readEtcdCluster(url, { prefix: '/nojson/network' })).rejects.toThrow(/^etcd \/nojson\/network\/subnets\/10\.246\.3\.0-24: not JSON/);
  });
  it('says when the prefix holds no flannel data', async () => {
    await expect(readEtcdCluster(url, { prefix: '/nothing/here' })).rejects.toThrow(/no flannel data under \/nothing\/here/);
  });
  it("falls back to Calico's Node resources (inspect's --etcd), and says when there are none either", async () => {
    const opts = { prefix: '/nothing/here', otherwise: CALICO_ETCD_FALLBACK };
    await expect(readEtcdCluster(url, opts)).rejects.toThrow(
      /no flannel data under \/nothing\/here \(wrong --etcd-prefix\?\) and no Calico nodes under \/calico\/resources\/v3\/projectcalico\.org\/nodes\//,
    );
    const node = { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'cal-1' }, spec: { bgp: { ipv4Address: '192.168.9.1/24' }, ipv4VXLANTunnelAddr: '10.9.0.64', vxlanTunnelMACAddr: '66:CA:00:00:09:01' } };
    await etcdPut(url, '/calico/resources/v3/projectcalico.org/nodes/cal-1', JSON.stringify(node));
    const truth = await readEtcdCluster(url, opts);
    expect(truth).toMatchObject({ source: 'etcd', origin: url, config: null });
    expect(truth.nodes).toEqual([
      expect.objectContaining({ name: 'cal-1', overlay: 'calico', publicIp: '192.168.9.1', vtepIp: '10.9.0.64', vtepMac: '66:ca:00:00:09:01' }),
    ]);
    // flannel's prefix still wins when it holds data.
    expect((await readEtcdCluster(url, { otherwise: CALICO_ETCD_FALLBACK })).nodes.every((n) => n.overlay === undefined)).toBe(true);
  });
  it('gives a could-not-run error for an etcd that does not answer', async () => {
    const port = await freePort();
    const err = await readEtcdCluster(`http://127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect((err as Error).message).toBe(`etcd at http://127.0.0.1:${port} unreachable: ECONNREFUSED`);
    await expect(readEtcdCluster('not a url')).rejects.toThrow(UsageError);
  });
});
