// Watch rounds (docs/agent.md, "Watch rounds"): a pair whose cells all show a
// stable ok is probed with the lighter plan; anything else than ok in a watch
// round re-runs the full plan at once, and that full result is what counts.
import { afterEach, describe, expect, it } from 'vitest';
import { agent, type Agent } from '../../../src/agent/agent.js';
import { watchRound } from '../../../src/agent/probe-round.js';
import { ResultStore, cellsOf } from '../../../src/agent/state.js';
import { FakeDiscovery, fakeListen, peerNode, scriptedPair, waitFor } from './fakes.js';

const SECRET = Buffer.from('watch-round-test-secret-0123');
const opts = { peer: '10.0.0.2', secret: SECRET };
const PORTS = [8472, 8475];

describe('watchRound', () => {
  it('all ok: one light run', async () => {
    const pair = scriptedPair(() => 'ok');
    const r = await watchRound(pair.fn, opts, PORTS);
    expect(pair.calls.map((c) => c.sizes)).toEqual(['mtu']);
    expect(r.escalated).toBe(false);
    expect(r.cells.every((c) => c.obs.verdict === 'ok')).toBe(true);
  });

  it('a cell not ok: the full plan runs at once and its verdicts are the round', async () => {
    // The light run sees only "vanished"; the full sweep finds the ceiling.
    const pair = scriptedPair((_ip, port, _dir, sizes) => (port === 8472 ? (sizes === 'mtu' ? 'filtered' : 'mtu') : 'ok'));
    const r = await watchRound(pair.fn, opts, PORTS);
    expect(pair.calls.map((c) => c.sizes)).toEqual(['mtu', 'sweep']);
    expect(r.escalated).toBe(true);
    expect(r.cells.filter((c) => c.port === 8472).map((c) => c.obs.verdict)).toEqual(['mtu', 'mtu']);
  });

  it('a control failure is not re-run; a busy listener on the full run records nothing', async () => {
    const dead = scriptedPair(() => 'throw');
    const r = await watchRound(dead.fn, opts, PORTS);
    expect(dead.calls).toHaveLength(1);
    expect(r.cells.every((c) => c.obs.verdict === 'unknown')).toBe(true);
    const filtered = scriptedPair(() => 'filtered');
    const sizes: (string | undefined)[] = [];
    const r2 = await watchRound(async (o) => {
      sizes.push(o.sizes);
      if (o.sizes === 'sweep') throw new Error('peer is busy: another pairing session is in progress');
      return filtered.fn(o);
    }, opts, PORTS);
    expect(sizes).toEqual(['mtu', 'sweep']);
    expect(r2.busy).toBe(true);
    expect(r2.cells).toEqual([]);
  });
});

describe('ResultStore.healthy', () => {
  const obs = (verdict: 'ok' | 'filtered', at: number) => ({ verdict, evidence: [], remedy: null, at });
  it('only when every cell shows a stable ok its newest round agrees with', () => {
    const s = new ResultStore();
    const cells = cellsOf(PORTS);
    const round = (v: (port: number) => 'ok' | 'filtered', at: number) => {
      for (const c of cells) s.record('b', '10.0.0.2', 'ring', c.port, c.direction, obs(v(c.port), at));
    };
    expect(s.healthy('b', cells)).toBe(false);
    round(() => 'ok', 1);
    expect(s.healthy('b', cells)).toBe(false); // provisional
    round(() => 'ok', 2);
    expect(s.healthy('b', cells)).toBe(true);
    round((p) => (p === 8475 ? 'filtered' : 'ok'), 3);
    expect(s.healthy('b', cells)).toBe(false); // a dissenting newest round
  });
});

describe('agent with watch rounds', () => {
  let a: Agent | null = null;
  afterEach(async () => {
    await a?.close();
    a = null;
  });

  it('watches a healthy peer lightly, and a fault seen by a watch round is confirmed by full rounds', async () => {
    let broken = false;
    const pair = scriptedPair((ip, port, dir) => (broken && ip === '10.0.0.2' && port === 8472 && dir === 'forward' ? 'hijacked' : 'ok'));
    const discovery = new FakeDiscovery([peerNode('n0', '10.0.0.1'), peerNode('n1', '10.0.0.2')]);
    a = await agent({
      iface: 'eth0', secret: SECRET, discovery, name: 'n0', intervalMs: 300, http: null,
      pairFn: pair.fn, listenFn: fakeListen().fn, collectFacts: null, log: () => {},
    });
    await waitFor('light rounds', () => pair.calls.filter((c) => c.sizes === 'mtu').length >= 2);
    // The first two rounds (provisional, then stable) are full ones.
    expect(pair.calls.slice(0, 2).map((c) => c.sizes)).toEqual(['sweep', 'sweep']);
    broken = true;
    const cell = () => a!.results().results.find((r) => r.peer === 'n1' && r.port === 8472 && r.direction === 'forward');
    await waitFor('stable hijacked', () => cell()?.verdict === 'hijacked' && cell()!.stable);
    const from = pair.calls.findIndex((c, i) => i > 0 && c.sizes === 'sweep' && pair.calls[i - 1]!.sizes === 'mtu');
    expect(from).toBeGreaterThan(0);
    // While the pair is not healthy every round is a full one.
    expect(pair.calls.slice(from).every((c) => c.sizes === 'sweep')).toBe(true);
    expect(cell()!.evidence[0]!.message).toBe('hijacked on 8472');
  });
});
