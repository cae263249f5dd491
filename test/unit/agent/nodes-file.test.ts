// --nodes FILE discovery: parsed by inspect's node-document code, re-read on
// change, surviving the file vanishing or turning invalid.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodesFileDiscovery, peersFromDocument } from '../../../src/agent/discovery/nodes-file.js';
import type { Discovery } from '../../../src/agent/discovery/types.js';
import { waitFor } from './fakes.js';

function node(name: string, ip: string, extra: { zone?: string; ready?: boolean; deleting?: boolean } = {}) {
  return {
    kind: 'Node',
    metadata: {
      name,
      labels: extra.zone ? { 'topology.kubernetes.io/zone': extra.zone } : {},
      annotations: {
        'flannel.alpha.coreos.com/public-ip': ip,
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:01"}',
      },
      ...(extra.deleting ? { deletionTimestamp: '2026-11-26T00:00:00Z' } : {}),
    },
    spec: { podCIDR: '10.244.1.0/24' },
    status: {
      addresses: [{ type: 'InternalIP', address: ip }],
      ...(extra.ready === undefined ? {} : { conditions: [{ type: 'Ready', status: extra.ready ? 'True' : 'False' }] }),
    },
  };
}

const doc = (...items: unknown[]) => JSON.stringify({ kind: 'List', apiVersion: 'v1', items });
let open: Discovery[] = [];
afterEach(async () => {
  await Promise.all(open.map((d) => d.close()));
  open = [];
});

describe('nodes-file discovery', () => {
  it('keeps Ready nodes that are not being deleted, with their zone', () => {
    const peers = peersFromDocument(doc(node('a', '10.0.0.1', { zone: 'z1', ready: true }), node('b', '10.0.0.2', { ready: false }), node('c', '10.0.0.3', { deleting: true }), node('d', '10.0.0.4')), 'test');
    expect(peers.map((p) => [p.name, p.zone, p.publicIp])).toEqual([['a', 'z1', '10.0.0.1'], ['d', null, '10.0.0.4']]);
    expect(() => peersFromDocument('{"items": 3}', 'test')).toThrow(/items: expected an array/);
  });

  it('re-reads the file when it changes, and survives it vanishing and turning invalid', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vxp-nodes-'));
    const file = join(dir, 'nodes.json');
    writeFileSync(file, doc(node('a', '10.0.0.1'), node('b', '10.0.0.2')));
    const lines: string[] = [];
    const d = createNodesFileDiscovery({ file, pollMs: 50, log: (l) => lines.push(l) });
    open.push(d);
    const changes: number[] = [];
    d.onChange((s) => changes.push(s.nodes.length));
    await d.start();
    expect(d.synced).toBe(true);
    expect(d.snapshot()).toMatchObject({ source: 'nodes-document', origin: file });
    expect(d.snapshot().nodes.map((n) => n.name)).toEqual(['a', 'b']);

    // Replaced atomically (as kubectl > tmp && mv does).
    writeFileSync(`${file}.tmp`, doc(node('a', '10.0.0.1'), node('b', '10.0.0.2'), node('c', '10.0.0.3')));
    renameSync(`${file}.tmp`, file);
    await waitFor('3 nodes', () => d.snapshot().nodes.length === 3, 15_000);
    expect(changes).toEqual([2, 3]);

    rmSync(file);
    await waitFor('not synced', () => !d.synced, 15_000);
    expect(d.snapshot().nodes).toHaveLength(3);
    expect(lines.some((l) => /cannot read \(ENOENT\); keeping the last 3 nodes/.test(l))).toBe(true);

    writeFileSync(file, '{ not json');
    await waitFor('the invalid document noticed', () => lines.some((l) => /not JSON/.test(l)), 15_000);
    expect(d.synced).toBe(false);
    expect(d.snapshot().nodes).toHaveLength(3);

    writeFileSync(file, doc(node('a', '10.0.0.1')));
    await waitFor('back', () => d.synced && d.snapshot().nodes.length === 1, 15_000);
    expect(changes).toEqual([2, 3, 1]);
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('notices a ConfigMap-style update: the ..data symlink swapped to a new directory', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vxp-nodes-'));
    const version = (n: number, body: string) => {
      mkdirSync(join(dir, `..v${n}`));
      writeFileSync(join(dir, `..v${n}`, 'nodes.json'), body);
      symlinkSync(`..v${n}`, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    version(1, doc(node('a', '10.0.0.1')));
    symlinkSync('..data/nodes.json', join(dir, 'nodes.json'));
    const d = createNodesFileDiscovery({ file: join(dir, 'nodes.json'), pollMs: 50 });
    open.push(d);
    await d.start();
    expect(d.snapshot().nodes.map((n) => n.name)).toEqual(['a']);
    // Same size and content length, a new inode behind the same path.
    version(2, doc(node('b', '10.0.0.2')));
    await waitFor('the swapped document', () => d.snapshot().nodes.map((n) => n.name).join() === 'b', 15_000);
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start() rejects with one line when the file is unreadable', async () => {
    const d = createNodesFileDiscovery({ file: '/nonexistent/vxp-nodes.json' });
    open.push(d);
    await expect(d.start()).rejects.toThrow(/^--nodes \/nonexistent\/vxp-nodes.json: cannot read \(ENOENT\)$/);
  });
});
