// Agent discovery from flannel's etcd leases against a real etcd-server on
// loopback: range, then one watch from revision+1; a dropped connection
// re-watches, a compacted revision re-ranges; TLS; close() is prompt.
// A cuttable TCP proxy sits between the watcher and etcd.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { etcdDelete, etcdPut, etcdRange } from '../../src/cluster/etcd.js';
import { createEtcdDiscovery, type EtcdDiscoveryOptions } from '../../src/agent/discovery/etcd-watch.js';
import type { Discovery, DiscoverySnapshot } from '../../src/agent/discovery/types.js';
import { CutProxy } from '../helpers/cut-proxy.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd-server.js';

const P = '/coreos.com/network';
const MAC = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const lease = (ip: string, mac: string) => JSON.stringify({ PublicIP: ip, BackendType: 'vxlan', BackendData: { VNI: 1, VtepMAC: mac } });

let etcd: EtcdServer;
let proxy: CutProxy;
let discovery: Discovery | undefined;
let warnings: string[] = [];
let changes: DiscoverySnapshot[] = [];
let prefixNo = 0;
let prefix = P;

beforeAll(async () => {
  etcd = await startEtcd();
  proxy = new CutProxy(Number(new URL(etcd.url).port));
  await proxy.start();
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  etcd?.stop();
});
afterEach(async () => {
  await discovery?.close();
  discovery = undefined;
  proxy.mode = 'pass';
});

/** A fresh prefix per test, seeded with a config, two leases and a malformed one. */
async function seed(): Promise<void> {
  prefix = `/t${++prefixNo}${P}`;
  await etcdPut(etcd.url, `${prefix}/config`, JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan', VNI: 1 } }));
  await etcdPut(etcd.url, `${prefix}/subnets/10.244.1.0-24`, lease('192.168.1.1', MAC(1)));
  await etcdPut(etcd.url, `${prefix}/subnets/10.244.2.0-24`, lease('192.168.1.2', MAC(2)));
  await etcdPut(etcd.url, `${prefix}/subnets/10.244.9.0-24`, '{"PublicIP": "1.2.3.999"}');
}

function make(extra: Partial<EtcdDiscoveryOptions> = {}): Discovery {
  warnings = [];
  changes = [];
  discovery = createEtcdDiscovery({
    url: `http://127.0.0.1:${proxy.port}`,
    prefix,
    backoff: { initialMs: 20, maxMs: 200 },
    log: (l) => warnings.push(l),
    ...extra,
  });
  discovery.onChange((s) => changes.push(s));
  return discovery;
}

async function until(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; warnings: ${warnings.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const names = (s: DiscoverySnapshot) => s.nodes.map((n) => n.name);
const has = (d: Discovery, name: string) => names(d.snapshot()).includes(name);

describe('etcd lease discovery (real etcd)', () => {
  it('ranges the leases and config, leaving out a malformed lease with one warning', async () => {
    await seed();
    const d = make();
    await d.start();
    expect(d.synced).toBe(true);
    const snap = d.snapshot();
    expect(snap.source).toBe('etcd');
    expect(snap.origin).toBe(`http://127.0.0.1:${proxy.port}`);
    expect(snap.config).toEqual({ network: '10.244.0.0/16', backendType: 'vxlan', vni: 1, port: null });
    expect(snap.nodes.map((n) => [n.name, n.publicIp, n.vtepMac, n.zone])).toEqual([
      ['10.244.1.0-24', '192.168.1.1', MAC(1), null],
      ['10.244.2.0-24', '192.168.1.2', MAC(2), null],
    ]);
    expect(warnings).toEqual([`etcd ${prefix}/subnets/10.244.9.0-24 left out: etcd ${prefix}/subnets/10.244.9.0-24.PublicIP: not an IPv4 address: "1.2.3.999"`]);
    expect(changes).toHaveLength(1);
  });

  it('follows puts, updates, deletes and config changes through one watch; an identical rewrite is no change', async () => {
    await seed();
    const d = make();
    await d.start();
    await etcdPut(etcd.url, `${prefix}/subnets/10.244.3.0-24`, lease('192.168.1.3', MAC(3)));
    await until('lease 3', () => has(d, '10.244.3.0-24'));
    await etcdPut(etcd.url, `${prefix}/subnets/10.244.1.0-24`, lease('192.168.1.1', MAC(0x11)));
    await until('new MAC', () => d.snapshot().nodes[0]!.vtepMac === MAC(0x11));
    await etcdDelete(etcd.url, `${prefix}/subnets/10.244.2.0-24`);
    await until('lease 2 gone', () => !has(d, '10.244.2.0-24'));
    await etcdPut(etcd.url, `${prefix}/config`, JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan', VNI: 4, Port: 8475 } }));
    await until('config', () => d.snapshot().config?.port === 8475);
    const before = changes.length;
    await etcdPut(etcd.url, `${prefix}/subnets/10.244.3.0-24`, lease('192.168.1.3', MAC(3)));
    // Keys of another prefix that share bytes with ours are not ours.
    await etcdPut(etcd.url, `${prefix}X/subnets/10.9.9.0-24`, lease('192.168.1.9', MAC(9)));
    await etcdPut(etcd.url, `${prefix}/subnets/10.244.4.0-24`, lease('192.168.1.4', MAC(4)));
    await until('lease 4', () => has(d, '10.244.4.0-24'));
    expect(changes.length).toBe(before + 1);
    expect(changes.map(names)).toEqual([
      ['10.244.1.0-24', '10.244.2.0-24'],
      ['10.244.1.0-24', '10.244.2.0-24', '10.244.3.0-24'],
      ['10.244.1.0-24', '10.244.2.0-24', '10.244.3.0-24'],
      ['10.244.1.0-24', '10.244.3.0-24'],
      ['10.244.1.0-24', '10.244.3.0-24'],
      ['10.244.1.0-24', '10.244.3.0-24', '10.244.4.0-24'],
    ]);
    expect(proxy.open).toBe(2); // one watch (client + upstream side), nothing polling
  });

  it('a dropped connection re-watches from the next revision and misses nothing', async () => {
    await seed();
    const d = make();
    await d.start();
    await until('watch open', () => proxy.open === 2);
    const conns = proxy.connections;
    proxy.mode = 'refuse';
    proxy.cut();
    await etcdPut(etcd.url, `${prefix}/subnets/10.244.5.0-24`, lease('192.168.1.5', MAC(5)));
    await etcdDelete(etcd.url, `${prefix}/subnets/10.244.1.0-24`);
    await until('a refused retry', () => proxy.connections > conns + 1);
    expect(warnings.some((w) => w.startsWith('etcd lease watch lost'))).toBe(true);
    proxy.mode = 'pass';
    await until('caught up', () => names(d.snapshot()).join() === '10.244.2.0-24,10.244.5.0-24');
    expect(d.synced).toBe(true);
  });

  it('a compacted revision makes it range again, with what changed meanwhile', async () => {
    await seed();
    const d = make();
    await d.start();
    await until('watch open', () => proxy.open === 2);
    proxy.mode = 'refuse';
    proxy.cut();
    await etcdDelete(etcd.url, `${prefix}/subnets/10.244.2.0-24`);
    await etcdPut(etcd.url, `${prefix}/subnets/10.244.6.0-24`, lease('192.168.1.6', MAC(6)));
    const { revision } = await etcdRange(etcd.url, '/none');
    const compact = await fetch(`${etcd.url}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) });
    expect(compact.status).toBe(200);
    proxy.mode = 'pass';
    await until('re-ranged', () => names(d.snapshot()).join() === '10.244.1.0-24,10.244.6.0-24');
    await until('synced', () => d.synced);
    // And it watches on from there.
    await etcdPut(etcd.url, `${prefix}/subnets/10.244.7.0-24`, lease('192.168.1.7', MAC(7)));
    await until('lease 7', () => has(d, '10.244.7.0-24'));
  });

  it('start() fails with one line when etcd is not there or holds no flannel data', async () => {
    proxy.mode = 'refuse';
    await expect(make().start()).rejects.toThrow(/^etcd at http:\/\/127\.0\.0\.1:\d+ unreachable: (ECONNRESET|socket hang up)$/);
    proxy.mode = 'pass';
    prefix = '/nothing/here';
    await expect(make().start()).rejects.toThrow(/no flannel data under \/nothing\/here/);
    await expect(createEtcdDiscovery({ url: 'http://alice:s3cret@[::1' }).start()).rejects.toThrow(/^--etcd http:\/\/\[::1: not a URL/);
  });

  it('close() is prompt: watching, backing off, or stuck in a read', async () => {
    await seed();
    const timed = async (d: Discovery) => {
      const t0 = Date.now();
      await d.close();
      return Date.now() - t0;
    };
    const d1 = make();
    await d1.start();
    await until('watch open', () => proxy.open === 2);
    expect(await timed(d1)).toBeLessThan(1000);
    await until('connections closed', () => proxy.open === 0, 1000);

    const d2 = make({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await d2.start();
    proxy.mode = 'refuse';
    proxy.cut();
    await until('the drop noticed', () => warnings.length > 0);
    expect(await timed(d2)).toBeLessThan(1000);

    // A read that never gets an answer (the proxy swallows it): close() aborts it.
    proxy.mode = 'blackhole';
    const d3 = make();
    const started = d3.start().catch((e: Error) => e);
    await until('the read is pending', () => proxy.open === 1);
    expect(await timed(d3)).toBeLessThan(1000);
    expect(await started).toBeInstanceOf(Error);
    proxy.cut();
  });
});

describe('etcd lease discovery over TLS (real etcd, client certificates)', () => {
  let tlsEtcd: EtcdServer;
  beforeAll(async () => {
    tlsEtcd = await startEtcd({ tls: true });
  }, 60_000);
  afterAll(() => tlsEtcd?.stop());

  it('ranges and watches with the CA, client certificate and key (as --etcd-cacert/--etcd-cert/--etcd-key files)', async () => {
    const conn = { url: tlsEtcd.url, tls: tlsEtcd.tls! };
    await etcdPut(conn, `${P}/subnets/10.244.1.0-24`, lease('192.168.1.1', MAC(1)));
    const f = tlsEtcd.pki!.files;
    // Without the client certificate etcd refuses us: one line from start().
    await expect(createEtcdDiscovery({ url: tlsEtcd.url, tlsFiles: { cacert: f.ca } }).start()).rejects.toThrow(/^etcd at https:\/\/127\.0\.0\.1:\d+ unreachable: /);
    const d = createEtcdDiscovery({ url: tlsEtcd.url, tlsFiles: { cacert: f.ca, cert: f.clientCert, key: f.clientKey } });
    discovery = d;
    await d.start();
    expect(names(d.snapshot())).toEqual(['10.244.1.0-24']);
    await etcdPut(conn, `${P}/subnets/10.244.2.0-24`, lease('192.168.1.2', MAC(2)));
    await until('lease 2 over TLS', () => has(d, '10.244.2.0-24'));
  });
});
