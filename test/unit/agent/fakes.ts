// Fakes for agent tests without root: a scripted pair(), a listener that only
// reports sessions, and an in-memory discovery.
import type { Discovery, DiscoverySnapshot, PeerNode } from '../../../src/agent/discovery/types.js';
import type { PairReport, PortResult, Verdict } from '../../../src/diagnose/types.js';
import type { PairOptions } from '../../../src/pair/initiator.js';
import type { ListenOptions, Listener } from '../../../src/pair/responder.js';

export function peerNode(name: string, ip: string, zone: string | null = null): PeerNode {
  return {
    name, internalIPs: [ip], podCIDRs: [], publicIp: ip, publicIpSource: 'public-ip', backendType: 'vxlan',
    vni: 1, vtepMac: null, annotationsMissing: [], zone,
  };
}

export class FakeDiscovery implements Discovery {
  synced = false;
  private snap: DiscoverySnapshot;
  private readonly listeners = new Set<(s: DiscoverySnapshot) => void>();
  closed = false;

  constructor(nodes: PeerNode[]) {
    this.snap = { nodes, config: null, source: 'nodes-document', origin: 'fake' };
  }

  async start(): Promise<void> {
    this.synced = true;
  }

  snapshot(): DiscoverySnapshot {
    return this.snap;
  }

  set(nodes: PeerNode[]): void {
    this.snap = { ...this.snap, nodes };
    for (const l of this.listeners) l(this.snap);
  }

  onChange(listener: (s: DiscoverySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** pair() whose verdicts come from `verdictOf(peerIp, port, direction)`; `busyFor` rejects as busy. */
export function scriptedPair(verdictOf: (ip: string, port: number, dir: 'forward' | 'reverse', sizes: 'sweep' | 'mtu') => Verdict | 'throw', opts: { delayMs?: number } = {}) {
  const calls: { peer: string; at: number; sizes: 'sweep' | 'mtu' }[] = [];
  const busy = new Map<string, number>();
  const fn = async (o: PairOptions): Promise<PairReport> => {
    calls.push({ peer: o.peer, at: Date.now(), sizes: o.sizes ?? 'sweep' });
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const left = busy.get(o.peer) ?? 0;
    if (left > 0) {
      busy.set(o.peer, left - 1);
      throw new Error('peer is busy: another pairing session is in progress');
    }
    const ports = o.ports ?? [8472, 8475];
    const results: PortResult[] = [];
    for (const direction of ['forward', 'reverse'] as const) {
      for (const port of ports) {
        const v = verdictOf(o.peer, port, direction, o.sizes ?? 'sweep');
        if (v === 'throw') throw new Error(`cannot connect to ${o.peer}:7473: ECONNREFUSED`);
        results.push({
          port, direction, from: 'self', to: o.peer, verdict: v, reason: v,
          evidence: [{ kind: v === 'ok' ? 'all-arrived' : 'vxlan-lost', message: `${v} on ${port}` }],
          remedy: v === 'ok' ? null : `fix ${port}`,
        });
      }
    }
    return {
      version: 1, peer: o.peer, nodes: { local: { name: 'self', ip: '10.0.0.1' }, peer: { name: o.peer, ip: o.peer } },
      ports, baselinePort: 33473, runId: 1, startedAt: new Date().toISOString(), durationMs: 1, results,
      ok: results.every((r) => r.verdict === 'ok'),
    };
  };
  return { fn, calls, busy };
}

export function fakeListen() {
  const state: { opts: ListenOptions | null; closed: boolean } = { opts: null, closed: false };
  const fn = async (opts: ListenOptions): Promise<Listener> => {
    state.opts = opts;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    return {
      port: 7473,
      host: '127.0.0.1',
      openRuns: 0,
      done,
      close: async () => {
        state.closed = true;
        resolveDone();
      },
    };
  };
  return { fn, state, session: (ip: string, ports = [8472, 8475]) => state.opts?.log?.(`pairing with ${ip}: run 7, ports ${ports.join(',')}`) };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
