// Agent discovery from the Kubernetes API against a test API server on
// loopback HTTPS that speaks the real watch protocol (test/helpers/fake-kube-api.ts):
// list then one watch, bookmarks, 410 Gone → relist, dropped connections,
// token rotation, CA verification, readiness and deletion, close().
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKubeDiscovery, type KubeDiscoveryOptions } from '../../src/agent/discovery/kube.js';
import type { Discovery, DiscoverySnapshot } from '../../src/agent/discovery/types.js';
import { makeTestPki, type TestPki } from '../helpers/etcd-server.js';
import { FakeKubeApi, apiNode } from '../helpers/fake-kube-api.js';

const MAC = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
let pki: TestPki;
let otherPki: TestPki;
let dir = '';
let saDir = '';
let api: FakeKubeApi;
let discovery: Discovery | undefined;
let warnings: string[] = [];
let changes: DiscoverySnapshot[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vxp-kdisc-'));
  pki = makeTestPki(mkdtempSync(join(dir, 'pki-')));
  otherPki = makeTestPki(mkdtempSync(join(dir, 'other-')));
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  api = new FakeKubeApi(pki);
  await api.start();
  saDir = mkdtempSync(join(dir, 'sa-'));
  writeFileSync(join(saDir, 'token'), `${api.token}\n`);
  copyFileSync(pki.files.ca, join(saDir, 'ca.crt'));
  warnings = [];
  changes = [];
  api.upsert(apiNode('node-a', '192.168.1.1', MAC(1), { zone: 'zone-1' }));
  api.upsert(apiNode('node-b', '192.168.1.2', MAC(2), { zone: 'zone-2' }));
  api.upsert(apiNode('node-c', '192.168.1.3', MAC(3), { ready: false }));
  api.upsert(apiNode('node-d', '192.168.1.4', MAC(4), { deleting: true }));
  api.upsert(apiNode('node-e', '192.168.1.5', MAC(5), { ready: 'Unknown' }));
});
afterEach(async () => {
  await discovery?.close();
  discovery = undefined;
  await api.stop();
});

function make(extra: KubeDiscoveryOptions = {}): Discovery {
  discovery = createKubeDiscovery({
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) },
    serviceAccountDir: saDir,
    backoff: { initialMs: 20, maxMs: 200 },
    log: (l) => warnings.push(l),
    ...extra,
  });
  discovery.onChange((s) => changes.push(s));
  return discovery;
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; warnings: ${warnings.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const names = (s: DiscoverySnapshot) => s.nodes.map((n) => n.name);
const watches = () => api.requests.filter((r) => r.kind === 'watch');
const lists = () => api.requests.filter((r) => r.kind === 'list');

describe('Kubernetes node discovery (list + watch)', () => {
  it('lists once, keeps only Ready nodes not being deleted, reads flannel data and the zone, then watches', async () => {
    const d = make({ listPageSize: 2 });
    expect(d.snapshot().nodes).toEqual([]);
    expect(d.synced).toBe(false);
    await d.start();
    expect(d.synced).toBe(true);
    const snap = d.snapshot();
    expect(names(snap)).toEqual(['node-a', 'node-b']);
    expect(snap.source).toBe('kubernetes-api');
    expect(snap.origin).toBe(`https://127.0.0.1:${api.port}/api/v1/nodes`);
    expect(snap.nodes[0]).toMatchObject({ name: 'node-a', publicIp: '192.168.1.1', vtepMac: MAC(1), vni: 1, zone: 'zone-1', podCIDRs: ['10.244.1.0/24'] });
    expect(changes.map(names)).toEqual([['node-a', 'node-b']]);
    // Three pages of two, then one watch from the list's resourceVersion with bookmarks.
    expect(lists().map((r) => r.query.get('continue'))).toEqual([null, '2', '4']);
    await until('the watch', () => api.openWatches === 1);
    const w = watches()[0]!;
    expect(w.query.get('resourceVersion')).toBe('1005');
    expect(w.query.get('allowWatchBookmarks')).toBe('true');
    expect(w.token).toBe('token-1');
  });

  it('follows ADDED/MODIFIED/DELETED: readiness, deletion, annotation changes; bookmarks change nothing', async () => {
    const d = make();
    await d.start();
    await until('the watch', () => api.openWatches === 1);
    api.upsert(apiNode('node-c', '192.168.1.3', MAC(3))); // becomes Ready
    await until('node-c', () => names(d.snapshot()).includes('node-c'));
    api.upsert(apiNode('node-a', '192.168.1.1', MAC(1), { ready: false })); // goes NotReady
    await until('node-a gone', () => !names(d.snapshot()).includes('node-a'));
    api.upsert(apiNode('node-b', '192.168.1.2', MAC(2), { deleting: true })); // drained
    await until('node-b gone', () => !names(d.snapshot()).includes('node-b'));
    api.upsert(apiNode('node-f', '192.168.1.6', MAC(6)));
    api.upsert(apiNode('node-f', '192.168.1.6', MAC(0x16))); // new VtepMAC
    await until('node-f MAC', () => d.snapshot().nodes.find((n) => n.name === 'node-f')?.vtepMac === MAC(0x16));
    api.remove('node-c');
    await until('node-c deleted', () => !names(d.snapshot()).includes('node-c'));
    const before = changes.length;
    api.bookmark();
    // A status-only update of a node (same data we use) is not a change either.
    api.upsert(apiNode('node-f', '192.168.1.6', MAC(0x16)));
    api.upsert(apiNode('node-g', '192.168.1.7', MAC(7)));
    await until('node-g', () => names(d.snapshot()).includes('node-g'));
    expect(changes.length).toBe(before + 1);
    expect(changes.map(names)).toEqual([
      ['node-a', 'node-b'],
      ['node-a', 'node-b', 'node-c'],
      ['node-b', 'node-c'],
      ['node-c'],
      ['node-c', 'node-f'],
      ['node-c', 'node-f'],
      ['node-f'],
      ['node-f', 'node-g'],
    ]);
    expect(watches()).toHaveLength(1);
    expect(lists()).toHaveLength(1);
  });

  it('reconnects a dropped watch from the last resourceVersion (bookmark included) with backoff, never relisting', async () => {
    const d = make();
    await d.start();
    await until('the watch', () => api.openWatches === 1);
    api.upsert(apiNode('node-c', '192.168.1.3', MAC(3)));
    await until('node-c', () => names(d.snapshot()).includes('node-c'));
    const bookmarkRv = api.bookmark();
    await new Promise((r) => setTimeout(r, 50));
    api.dropWatches();
    // Changes while it is away arrive when it is back.
    api.remove('node-a');
    await until('a second watch', () => watches().length === 2 && api.openWatches === 1);
    expect(watches()[1]!.query.get('resourceVersion')).toBe(bookmarkRv);
    await until('node-a removed', () => !names(d.snapshot()).includes('node-a'));
    expect(names(d.snapshot())).toEqual(['node-b', 'node-c']);
    expect(lists()).toHaveLength(1);
    expect(api.maxOpenWatches).toBe(1);
    expect(warnings.some((w) => w.startsWith('Kubernetes node watch lost'))).toBe(true);
  });

  for (const goneAs of ['event', 'http'] as const) {
    it(`relists on 410 Gone (${goneAs === 'event' ? 'ERROR event' : 'HTTP status'}) and catches up with what changed meanwhile`, async () => {
      api.goneAs = goneAs;
      const d = make();
      await d.start();
      await until('the watch', () => api.openWatches === 1);
      api.dropWatches();
      api.compact();
      api.remove('node-b');
      api.upsert(apiNode('node-e', '192.168.1.5', MAC(5)));
      await until('the relist', () => lists().length === 2);
      await until('new state', () => names(d.snapshot()).join() === 'node-a,node-e');
      await until('watching again', () => api.openWatches === 1 && d.synced);
      const last = watches().at(-1)!;
      expect(Number(last.query.get('resourceVersion'))).toBeGreaterThan(1005);
      expect(changes.map(names).at(-1)).toEqual(['node-a', 'node-e']);
    });
  }

  it('a server that calls every version gone gets relists with backoff, not a tight list loop', async () => {
    const d = make();
    await d.start();
    await until('the watch', () => api.openWatches === 1);
    api.goneForever();
    api.dropWatches();
    await new Promise((r) => setTimeout(r, 800));
    // Delays of 10-20, 20-40, 40-80, then 100-200 ms: about eight lists in 0.8 s; without backoff, hundreds.
    expect(lists().length).toBeGreaterThanOrEqual(2);
    expect(lists().length).toBeLessThan(16);
  });

  it('re-reads a rotated token', async () => {
    const d = make();
    await d.start();
    await until('the watch', () => api.openWatches === 1);
    api.token = 'token-2';
    writeFileSync(join(saDir, 'token'), 'token-2\n');
    api.dropWatches();
    await until('a watch with the new token', () => api.openWatches === 1 && watches().at(-1)!.token === 'token-2');
    api.upsert(apiNode('node-c', '192.168.1.3', MAC(3)));
    await until('node-c', () => names(d.snapshot()).includes('node-c'));
  });

  it('synced is false while the watch cannot be reopened (API refusing), true again once it is', async () => {
    const d = make();
    await d.start();
    await until('the watch', () => api.openWatches === 1);
    api.token = 'revoked';
    api.dropWatches();
    await until('not synced', () => !d.synced);
    expect(warnings.filter((w) => w.includes('HTTP 401')).length).toBeGreaterThan(0);
    api.token = 'token-1';
    await until('synced again', () => d.synced && api.openWatches === 1);
    expect(lists()).toHaveLength(1);
  });

  it('a watch the server ends (timeoutSeconds) is renewed from where it was', async () => {
    const d = make({ watchTimeoutSeconds: 1 });
    await d.start();
    api.upsert(apiNode('node-c', '192.168.1.3', MAC(3)));
    await until('a renewed watch', () => watches().length >= 2 && api.openWatches === 1, 5000);
    expect(Number(watches()[1]!.query.get('resourceVersion'))).toBeGreaterThanOrEqual(1006);
    expect(lists()).toHaveLength(1);
    expect(names(d.snapshot())).toEqual(['node-a', 'node-b', 'node-c']);
  });

  it('a hostile watch stream (over-long event, not JSON, unknown type) restarts the watch, never crashes or grows', async () => {
    const d = make({ maxLineBytes: 64 * 1024 });
    await d.start();
    const cases: Array<[string, RegExp]> = [
      [`{"type":"ADDED","object":{"metadata":{"name":"${'x'.repeat(100_000)}`, /an event longer than 65536 bytes/],
      ['this is not json\n', /not JSON/],
      ['{"type":"\\u001b[2JEVIL","object":{"metadata":{"name":"n"}}}\n', /unknown event type \\x1b\[2JEVIL/],
    ];
    for (const [raw, why] of cases) {
      await until('the watch', () => api.openWatches === 1);
      const before = watches().length;
      api.sendRaw(raw);
      await until(`a restart after ${why}`, () => warnings.some((w) => why.test(w)) && watches().length === before + 1 && api.openWatches === 1);
    }
    expect(warnings.join('\n')).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
    expect(lists()).toHaveLength(1);
    api.upsert(apiNode('node-c', '192.168.1.3', MAC(3)));
    await until('node-c', () => names(d.snapshot()).includes('node-c'));
    expect(names(d.snapshot())).toEqual(['node-a', 'node-b', 'node-c']);
  });

  it('leaves out a node with malformed annotations, with one warning', async () => {
    const bad = apiNode('node-x', '192.168.1.9', MAC(9));
    (bad.metadata as { annotations: Record<string, string> }).annotations['flannel.alpha.coreos.com/backend-data'] = '{"VtepMAC": "zz"}';
    api.upsert(bad);
    const d = make();
    await d.start();
    expect(names(d.snapshot())).toEqual(['node-a', 'node-b']);
    expect(warnings).toEqual(['node node-x left out: items[5].metadata.annotations["flannel.alpha.coreos.com/backend-data"].VtepMAC: not a MAC address: "zz"']);
  });

  it('start() rejects with one line for a wrong token, an untrusted CA, or no pod at all', async () => {
    writeFileSync(join(saDir, 'token'), 'wrong\n');
    await expect(make().start()).rejects.toThrow(/^https:\/\/127\.0\.0\.1:\d+\/api\/v1\/nodes: HTTP 401: the service account may not list nodes/);
    writeFileSync(join(saDir, 'token'), `${api.token}\n`);
    copyFileSync(otherPki.files.ca, join(saDir, 'ca.crt'));
    const err = await make().start().then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/unreachable: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    expect(err?.message.split('\n')).toHaveLength(1);
    await expect(createKubeDiscovery({ env: {}, serviceAccountDir: saDir }).start()).rejects.toThrow(/not in a pod/);
    expect(api.openWatches).toBe(0);
  });

  it('close() ends the watch and every timer promptly, also while backing off, and is idempotent', async () => {
    const d = make({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await d.start();
    await until('the watch', () => api.openWatches === 1);
    let t0 = Date.now();
    await d.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    await until('the server sees it closed', () => api.openWatches === 0, 1000);
    // No socket left behind (no idle keep-alive connection from the list either).
    await until('no connection left', () => api.openConnections === 0, 1000);
    expect(d.synced).toBe(false);
    await d.close();
    // While waiting a long backoff after a drop.
    const d2 = make({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await d2.start();
    await until('the watch', () => api.openWatches === 1);
    api.dropWatches();
    api.dropWatches();
    await until('the drop noticed', () => warnings.length > 0);
    const count = api.requests.length;
    t0 = Date.now();
    await d2.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(api.requests.length).toBe(count);
    expect(api.openConnections).toBe(0);
  });
});
