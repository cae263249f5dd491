// `vxprobe agent` as a library: discovery -> selection -> scheduler ->
// pair() per peer -> stable verdicts -> HTTP, plus the listener that answers
// the other agents and a local audit (docs/agent.md). Composes the library's
// pair(), listen() and inspect checks; it never re-implements them.
import { hostname } from 'node:os';
import { collectHostFacts, reuseSlowHostFacts } from '../host/facts.js';
import { holdTables } from '../host/table-cache.js';
import type { FactsCollector } from '../inspect/run.js';
import { pair } from '../pair/initiator.js';
import { listen, type ListenOptions, type Listener } from '../pair/responder.js';
import { DEFAULT_PORTS } from '../pair/plan.js';
import { SessionPool } from '../pair/session-pool.js';
import { DEFAULT_CONTROL_PORT } from '../pair/control/index.js';
import { emptyAudit, countBySeverity, runAudit, type AuditDocument } from './audit.js';
import { ClusterView } from './cluster-view.js';
import type { Discovery } from './discovery/types.js';
import { startHttp, type HttpEndpoint } from './http.js';
import { InboundTracker, parsePairingLine } from './inbound.js';
import { AgentMetrics } from './metrics.js';
import { probeRound, watchRound, type PairFn } from './probe-round.js';
import { Scheduler } from './scheduler.js';
import { DEFAULT_SELECTION, domainOf, selectAll, type Edge, type SelectionReason } from './selection.js';
import { ResultStore, cellsOf, type CellResult, type VerdictChange } from './state.js';

export const AGENT_VERSION = '0.1.0';
export const DEFAULT_HTTP_PORT = 9473;

export interface AgentOptions {
  iface: string;
  secret: Buffer;
  discovery: Discovery;
  /** This node's name among the discovered nodes (default: hostname, as kubelet uses). */
  name?: string;
  ports?: number[];
  intervalMs?: number;
  /** Ring successors K: every node is probed by exactly K others. */
  peers?: number;
  randomPeers?: number;
  domainBudget?: number;
  domainCap?: number;
  /** Random peers and domain representatives rotate every this many intervals. */
  epochRounds?: number;
  /** null: no HTTP endpoint. */
  http?: { host?: string; port: number } | null;
  controlPort?: number;
  perPeerMetrics?: boolean;
  /** Probes running at once. */
  concurrency?: number;
  /** Longest one pairing's probing may take, ms. */
  probeTimeoutMs?: number;
  /** The cluster view is off above this many nodes. */
  clusterViewLimit?: number;
  /** One line per verdict change and per operational problem. */
  log?: (line: string) => void;
  /** Seams for tests: the library's pair(), listen() and host facts by default (null: no audit). */
  pairFn?: PairFn;
  listenFn?: (opts: ListenOptions) => Promise<Listener>;
  collectFacts?: FactsCollector | null;
}

export interface ResultsDocument {
  node: string;
  updatedAt: string;
  results: CellResult[];
}

export interface Agent {
  readonly name: string;
  /** Bound HTTP port (null without HTTP). */
  readonly httpPort: number | null;
  readonly controlPort: number;
  results(): ResultsDocument;
  peers(): Record<string, unknown>;
  audit(): AuditDocument;
  ready(): { ready: boolean; reasons: string[] };
  metricsText(): Promise<string>;
  /** Stops probing, closes every socket; resolves within ~1.5 s. Idempotent. */
  close(): Promise<void>;
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`agent ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export async function agent(opts: AgentOptions): Promise<Agent> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`vxprobe agent: ${line}\n`));
  const name = opts.name ?? hostname();
  const ports = opts.ports ?? DEFAULT_PORTS;
  const intervalMs = positiveInt('interval', opts.intervalMs ?? 30_000, 200);
  const k = positiveInt('peers', opts.peers ?? DEFAULT_SELECTION.k);
  const epochMs = intervalMs * positiveInt('epochRounds', opts.epochRounds ?? 20);
  const controlPort = opts.controlPort ?? DEFAULT_CONTROL_PORT;
  const pairFn = opts.pairFn ?? pair;
  const collect = opts.collectFacts === undefined ? (o: { iface?: string; ports?: number[] }) => collectHostFacts(o) : opts.collectFacts;
  const discovery = opts.discovery;
  // One line per probe round: for debugging schedules only, never by default.
  const debug = process.env.VXPROBE_AGENT_DEBUG === '1';

  // Every pairing, ours and our peers', reads this host's facts; the slow part
  // (firewall tools, /proc scans) is reused for half an interval, at most 15 s,
  // instead of being read 20 times an interval (docs/agent.md, "Budgets").
  reuseSlowHostFacts(Math.min(intervalMs / 2, 15_000));
  // The rtnetlink tables are kept until the kernel announces a change (src/host/table-cache.ts).
  const releaseTables = holdTables();
  const store = new ResultStore();
  // One kept control session per peer between rounds (src/pair/session-pool.ts).
  const sessions = new SessionPool();
  const inbound = new InboundTracker(intervalMs);
  let selected: (Edge & { ip: string })[] = [];
  let expected: Edge[] = [];
  let full = false;
  let epoch = -1;
  let auditDoc = emptyAudit();
  let lastRound: number | null = null;
  let closed = false;
  let listener: Listener | null = null;
  let http: HttpEndpoint | null = null;
  const timers: NodeJS.Timeout[] = [];
  const ipOf = (n: { publicIp: string | null; internalIPs: string[] }) => n.publicIp ?? n.internalIPs[0] ?? null;
  const reasonOf = (peer: string): SelectionReason => selected.find((s) => s.peer === peer)?.reason ?? 'ring';

  const logChange = (c: VerdictChange): void => {
    if (c.from === c.to) return;
    const what = c.from === null ? `${c.to} (provisional)` : `${c.from} -> ${c.to}${c.stable ? '' : ' (provisional)'}`;
    log(`${c.peer} ${c.port}/${c.direction}: ${what}${c.to !== 'ok' && c.remedy ? `; remedy: ${c.remedy}` : ''}`);
  };

  const scheduler = new Scheduler({
    self: name,
    intervalMs,
    concurrency: positiveInt('concurrency', opts.concurrency ?? 2),
    jitter: 0.1,
    firstRoundWithinMs: Math.min(intervalMs, 5000),
    probe: async (peer) => {
      const t0 = Date.now();
      const pairOpts = {
        peer: peer.ip, iface: opts.iface, secret: opts.secret, name, controlPort, ports, sessions,
        ...(opts.probeTimeoutMs !== undefined ? { timeoutMs: opts.probeTimeoutMs } : {}),
      };
      // A pair whose every cell is a stable ok is watched with a lighter round (probe-round.ts).
      const watching = store.healthy(peer.name, cellsOf(ports));
      const round = watching ? await watchRound(pairFn, pairOpts, ports) : { ...(await probeRound(pairFn, pairOpts, ports)), escalated: false };
      if (debug) {
        const kind = watching ? (round.escalated ? 'watch, escalated to full' : 'watch') : 'full';
        log(`debug: ${peer.name} ${round.busy ? 'busy' : round.cells.map((c) => c.obs.verdict).join(',')} in ${Date.now() - t0} ms (${kind})`);
      }
      if (round.busy || closed || !selected.some((s) => s.peer === peer.name)) return round.busy ? 'busy' : 'done';
      let unsettled = false;
      for (const c of round.cells) {
        metrics.countRound(c.port, c.direction, c.obs.verdict);
        const change = store.record(peer.name, peer.ip, reasonOf(peer.name), c.port, c.direction, c.obs);
        if (change) logChange(change);
        if (!store.settled(peer.name, c.port, c.direction)) unsettled = true;
      }
      for (const f of round.frames) metrics.countFrames(f.port, f.direction, f.sent, f.lost);
      for (const r of round.rtts) metrics.observeRtt(r.port, r.seconds);
      lastRound = Date.now();
      return unsettled ? 'confirm' : 'done';
    },
  });

  const reselect = (): void => {
    if (closed) return;
    const snap = discovery.snapshot();
    const nodes = snap.nodes.flatMap((n) => {
      const ip = ipOf(n);
      return ip ? [{ name: n.name, ip, zone: n.zone }] : [];
    });
    epoch = Math.floor(Date.now() / epochMs);
    const sel = selectAll(nodes, { ...DEFAULT_SELECTION, k, epoch,
      ...(opts.randomPeers !== undefined ? { randomPeers: opts.randomPeers } : {}),
      ...(opts.domainBudget !== undefined ? { domainBudget: opts.domainBudget } : {}),
      ...(opts.domainCap !== undefined ? { domainCap: opts.domainCap } : {}) });
    const ips = new Map(nodes.map((n) => [n.name, n.ip]));
    full = sel.full;
    selected = sel.outboundOf(name).map((e) => ({ ...e, ip: ips.get(e.peer)! }));
    expected = sel.inboundOf(name);
    const keep = new Set(selected.map((s) => s.peer));
    for (const peer of store.peerNames()) if (!keep.has(peer)) store.remove(peer);
    for (const s of selected) store.touch(s.peer, s.ip, s.reason);
    inbound.retain(new Set(ips.values()));
    scheduler.setPeers(selected.map((s) => ({ name: s.peer, ip: s.ip })));
  };

  let auditing: Promise<void> | null = null;
  let auditTimer: NodeJS.Timeout | null = null;
  let lastAudit = 0;
  const audit = (): Promise<void> => {
    if (!collect || closed) return Promise.resolve();
    auditing ??= runAudit(collect, discovery.snapshot(), { iface: opts.iface, ports, name }).then((doc) => {
      auditDoc = doc;
      lastAudit = Date.now();
    }).finally(() => {
      auditing = null;
    });
    return auditing;
  };
  // Node-set changes can come in bursts (a watch relisting, a rollout): audit at most once an interval.
  const auditSoon = (): void => {
    if (auditTimer || closed) return;
    auditTimer = setTimeout(() => {
      auditTimer = null;
      void audit();
    }, Math.max(1000, lastAudit + intervalMs - Date.now()));
    auditTimer.unref();
  };

  const metrics = new AgentMetrics({
    ports,
    results: () => store.results(),
    inbound: (port) => inbound.count(port),
    expectedInbound: () => expected.length,
    selected: () => ({
      ring: selected.filter((s) => s.reason === 'ring').length,
      random: selected.filter((s) => s.reason === 'random').length,
      domain: selected.filter((s) => s.reason === 'domain').length,
    }),
    known: () => discovery.snapshot().nodes.filter((n) => n.name !== name).length,
    findings: () => (auditDoc.updatedAt ? countBySeverity(auditDoc) : null),
    lastRound: () => lastRound,
  }, { version: AGENT_VERSION, perPeer: opts.perPeerMetrics ?? false });

  const namesByIp = (): Map<string, string> => new Map(discovery.snapshot().nodes.flatMap((n) => {
    const ip = ipOf(n);
    return ip ? [[ip, n.name] as [string, string]] : [];
  }));
  const inboundStatus = () => {
    const snapIps = new Map(discovery.snapshot().nodes.map((n) => [n.name, ipOf(n) ?? '']));
    return inbound.status(ports, new Map(expected.map((e) => [e.peer, snapIps.get(e.peer) ?? ''])), namesByIp());
  };

  const results = (): ResultsDocument => ({ node: name, updatedAt: new Date(lastRound ?? Date.now()).toISOString(), results: store.results() });
  const peersDoc = () => {
    const snap = discovery.snapshot();
    const domains = new Map(snap.nodes.map((n) => [n.name, domainOf({ name: n.name, ip: ipOf(n) ?? '0.0.0.0', zone: n.zone })]));
    return {
      node: name,
      updatedAt: new Date().toISOString(),
      source: { kind: snap.source, origin: snap.origin, synced: discovery.synced },
      known: snap.nodes.filter((n) => n.name !== name).length,
      selection: { k, full, epoch, intervalMs, epochMs, self: snap.nodes.some((n) => n.name === name) },
      selected: selected.map((s) => ({ peer: s.peer, peerIp: s.ip, reason: s.reason, domain: domains.get(s.peer) ?? null })),
      expectedInbound: expected.map((e) => ({ peer: e.peer, reason: e.reason })),
      inbound: inboundStatus().ports,
      unaddressed: snap.nodes.filter((n) => !ipOf(n)).map((n) => n.name),
    };
  };
  const ready = () => {
    const reasons: string[] = [];
    if (!listener) reasons.push('listener not bound');
    if (!discovery.synced) reasons.push(`discovery (${discovery.snapshot().source}) not synced`);
    return { ready: reasons.length === 0, reasons };
  };

  const listenFn = opts.listenFn ?? listen;
  let authComplaintAt = 0;
  try {
    // The node source first: a bad --nodes file fails before any socket is bound.
    await discovery.start();
    listener = await listenFn({
      iface: opts.iface, secret: opts.secret, name, controlPort,
      // Every prober holds at most one session here (the listener ends an older
      // one from the same address); K ring peers, the randoms and the domain
      // representatives stay well below this.
      maxSessions: 32,
      log: (line) => {
        const p = parsePairingLine(line);
        if (p) inbound.note(p.ip, p.ports);
        else if (/authenticat|secret/i.test(line) && !/another session|busy/i.test(line) && Date.now() - authComplaintAt > 60_000) {
          // A wrong secret somewhere is worth a line, but at most one a minute.
          authComplaintAt = Date.now();
          log(`listener: ${line}`);
        }
      },
    });
    if (!discovery.snapshot().nodes.some((n) => n.name === name)) {
      log(`node "${name}" is not among the ${discovery.snapshot().nodes.length} nodes of ${discovery.snapshot().origin}: it probes nobody until it appears there (set --name to this node's name)`);
    }
    reselect();
    const unsubscribe = discovery.onChange(() => {
      reselect();
      auditSoon();
    });
    timers.push(setInterval(() => {
      if (Math.floor(Date.now() / epochMs) !== epoch) reselect();
      const { newlySilent } = inboundStatus();
      for (const port of newlySilent) log(`nobody reached me on ${port} for 3 rounds (expected: ${expected.map((e) => e.peer).join(', ')})`);
    }, intervalMs));
    timers.push(setInterval(() => void audit(), Math.max(intervalMs * 10, 60_000)));
    for (const t of timers) t.unref();
    void audit();
    const clusterView = new ClusterView({ port: opts.http?.port ?? DEFAULT_HTTP_PORT, limit: opts.clusterViewLimit ?? 100, concurrency: 8, timeoutMs: 2000, cacheMs: 10_000 });
    if (opts.http) {
      http = await startHttp({
        results,
        peers: peersDoc,
        inspect: () => auditDoc,
        cluster: () => clusterView.view(discovery.snapshot().nodes.filter((n) => n.name !== name && ipOf(n)).map((n) => ({ name: n.name, ip: ipOf(n)! }))),
        metrics: async () => ({ contentType: metrics.contentType, body: await metrics.text() }),
        ready,
      }, opts.http);
    }
    let closing: Promise<void> | null = null;
    return {
      name,
      httpPort: http?.port ?? null,
      controlPort: listener.port,
      results,
      peers: peersDoc,
      audit: () => auditDoc,
      ready,
      metricsText: () => metrics.text(),
      close: () => (closing ??= (async () => {
        closed = true;
        unsubscribe();
        for (const t of timers) clearInterval(t);
        if (auditTimer) clearTimeout(auditTimer);
        await Promise.all([scheduler.stop(1200), http?.close(), listener?.close(), discovery.close()]);
        // After the scheduler stopped: a round ending during stop() keeps its session, closed here.
        sessions.close();
        reuseSlowHostFacts(0);
        releaseTables();
      })()),
    };
  } catch (err) {
    closed = true;
    for (const t of timers) clearInterval(t);
    await Promise.allSettled([scheduler.stop(0), http?.close(), listener?.close(), discovery.close()]);
    sessions.close();
    reuseSlowHostFacts(0);
    releaseTables();
    throw err;
  }
}
