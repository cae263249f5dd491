// Peer selection: exact ring in-degree, domain caps, full mesh for small
// clusters, and identical results whatever order the nodes arrive in.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SELECTION, domainOf, selectAll, type Selection, type SelectionNode } from '../../../src/agent/selection.js';

function cluster(n: number, zones = 0): SelectionNode[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${i}`,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    zone: zones > 0 ? `zone-${i % zones}` : null,
  }));
}

function shuffled<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function canonical(sel: Selection): string {
  return JSON.stringify([...sel.outbound].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('selection', () => {
  it.each([10, 11, 57, 300, 1000, 5000])('ring in-degree is exactly K for N=%i', (n) => {
    for (const k of [1, 3, 5]) {
      const sel = selectAll(cluster(n, 4), { ...DEFAULT_SELECTION, k, epoch: 7 });
      for (const [name, edges] of sel.inbound) {
        const ring = edges.filter((e) => e.reason === 'ring');
        expect(ring.length, `${name} ring in-degree with k=${k}`).toBe(k);
        expect(new Set(edges.map((e) => e.peer)).size).toBe(edges.length);
        expect(edges.some((e) => e.peer === name)).toBe(false);
      }
      for (const [name, edges] of sel.outbound) expect(edges.filter((e) => e.reason === 'ring').length, name).toBe(k);
    }
  });

  it('N <= K+1: everyone probes everyone, nothing else', () => {
    for (const n of [1, 2, 3, 4]) {
      const sel = selectAll(cluster(n), { ...DEFAULT_SELECTION, k: 3, epoch: 1 });
      expect(sel.full).toBe(true);
      for (const [name, edges] of sel.outbound) {
        expect(edges.map((e) => e.peer).sort()).toEqual(cluster(n).map((x) => x.name).filter((x) => x !== name).sort());
        expect(edges.every((e) => e.reason === 'ring')).toBe(true);
      }
    }
    expect(selectAll(cluster(5), { ...DEFAULT_SELECTION, k: 3, epoch: 1 }).full).toBe(false);
  });

  it('every agent computes identical sets, whatever order discovery lists the nodes', () => {
    const nodes = cluster(500, 3);
    const opts = { ...DEFAULT_SELECTION, epoch: 42 };
    const ref = canonical(selectAll(nodes, opts));
    for (const seed of [1, 2, 3]) expect(canonical(selectAll(shuffled(nodes, seed), opts))).toBe(ref);
  });

  it('inbound is the exact inverse of outbound', () => {
    const sel = selectAll(cluster(200, 5), { ...DEFAULT_SELECTION, epoch: 3 });
    const pairs = new Set<string>();
    for (const [from, edges] of sel.outbound) for (const e of edges) pairs.add(`${from}>${e.peer}>${e.reason}`);
    const back = new Set<string>();
    for (const [to, edges] of sel.inbound) for (const e of edges) back.add(`${e.peer}>${to}>${e.reason}`);
    expect(back).toEqual(pairs);
  });

  it('random peers: the configured count, rotating with the epoch', () => {
    const nodes = cluster(100);
    const a = selectAll(nodes, { ...DEFAULT_SELECTION, randomPeers: 3, epoch: 1 });
    const b = selectAll(nodes, { ...DEFAULT_SELECTION, randomPeers: 3, epoch: 2 });
    for (const edges of a.outbound.values()) expect(edges.filter((e) => e.reason === 'random')).toHaveLength(3);
    expect(canonical(a)).not.toBe(canonical(b));
  });

  it('domain caps: one small domain is not probed by the whole cluster', () => {
    // 999 nodes in zone "big", 1 node alone in zone "tiny".
    const nodes = cluster(1000).map((n, i) => ({ ...n, zone: i === 0 ? 'tiny' : 'big' }));
    const opts = { ...DEFAULT_SELECTION, domainCap: 2, domainBudget: 2, epoch: 5 };
    const sel = selectAll(nodes, opts);
    const tinyDomainIn = sel.inbound.get('node-0')!.filter((e) => e.reason === 'domain');
    expect(tinyDomainIn.length).toBeLessThanOrEqual(1);
    // It is still watched across the domain boundary by its ring and random probers.
    expect(sel.inbound.get('node-0')!.length).toBeLessThan(20);
    // The tiny domain probes up to domainCap members of the big one.
    expect(sel.outbound.get('node-0')!.filter((e) => e.reason === 'domain').length).toBeLessThanOrEqual(2);
  });

  it('domain caps hold per domain pair and per prober, over many domains (/24 fallback)', () => {
    const nodes: SelectionNode[] = Array.from({ length: 3000 }, (_, i) => ({ name: `n${i}`, ip: `192.168.${i % 60}.${10 + Math.floor(i / 60)}`, zone: null }));
    const opts = { ...DEFAULT_SELECTION, domainCap: 2, domainBudget: 3, epoch: 9 };
    const sel = selectAll(nodes, opts);
    expect(new Set(sel.domains.values()).size).toBe(60);
    expect(sel.domains.get('n61')).toBe(domainOf(nodes[61]!));
    const perPair = new Map<string, number>();
    for (const [from, edges] of sel.outbound) {
      const domainEdges = edges.filter((e) => e.reason === 'domain');
      expect(domainEdges.length).toBeLessThanOrEqual(3);
      for (const e of domainEdges) {
        const key = `${sel.domains.get(from)}>${sel.domains.get(e.peer)}`;
        expect(sel.domains.get(from)).not.toBe(sel.domains.get(e.peer));
        perPair.set(key, (perPair.get(key) ?? 0) + 1);
      }
    }
    for (const [key, count] of perPair) expect(count, key).toBeLessThanOrEqual(2);
    // Each node gets at most one domain prober from any one other domain.
    for (const [to, edges] of sel.inbound) {
      const from = edges.filter((e) => e.reason === 'domain').map((e) => sel.domains.get(e.peer));
      expect(new Set(from).size, to).toBe(from.length);
    }
  });

  it('rejects bad options with a clear error', () => {
    expect(() => selectAll(cluster(5), { ...DEFAULT_SELECTION, k: 0, epoch: 0 })).toThrow(/k must be at least 1/);
    expect(() => selectAll(cluster(5), { ...DEFAULT_SELECTION, randomPeers: -1, epoch: 0 })).toThrow(/randomPeers/);
  });
});

describe('selection: one node without the whole-cluster maps', () => {
  it('outboundOf/inboundOf equal the maps', () => {
    const sel = selectAll(cluster(300, 4), { ...DEFAULT_SELECTION, epoch: 11 });
    for (const name of ['node-0', 'node-17', 'node-299']) {
      expect(sel.outboundOf(name)).toEqual(sel.outbound.get(name));
      expect(sel.inboundOf(name)).toEqual(sel.inbound.get(name));
    }
    expect(sel.outboundOf('nope')).toEqual([]);
  });
});
