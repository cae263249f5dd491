// `vxprobe listen`: the passive side of a pairing. It answers authenticated
// initiators with its host facts, sniffs its NIC for each run, and sends the
// reverse probes — only to the authenticated peer's address, only from specs
// it builds itself, within a per-peer budget (docs/threat-model.md).
//
// Runs: one per session at a time. Calls that change the run (hello, plan,
// finish) are serialised per session, and every path that replaces or ends a
// run closes its sniffer and sockets: a session's end, the listener's close,
// and a hello that completes after its session already ended.
import { startHostFactsAsync, type HostFactsInProgress } from '../host/facts.js';
import { holdTables } from '../host/table-cache.js';
import type { HostTables } from '../host/types.js';
import { resolveNextHop } from '../host/next-hop.js';
import { readAddrs } from '../host/netlink.js';
import { UsageError } from '../errors.js';
import { ControlServer, type ControlLimits, type SessionEnd } from './control/index.js';
import { RejectLog } from './control/reject-log.js';
import { implement } from './control/rpc.js';
import type { Session } from './control/rpc.js';
import { MAX_OBSERVATION_BYTES, pairMethods } from './messages.js';
import type { ProbeSpec } from './plan-types.js';
import type { VtepEndpoint } from './probe-frames.js';
import { factsForPeer, tablesForPeer } from './shared-facts.js';
import { ProbeSender } from './probe-sender.js';
import { RunSniffer } from './run-sniffer.js';
import { DropTrace, arrivedHere, listenerTraceName } from '../host/drop-trace.js';
import { DEFAULT_PEER_BUDGET, PeerBudget, type PeerBudgetLimits } from './peer-budget.js';
import { serveWatch, type WatchBaseline } from './watch-responder.js';

export interface ListenOptions {
  iface: string;
  secret: Buffer;
  /** This node's name in reports (Kubernetes node name; default: hostname). */
  name?: string;
  controlPort?: number;
  /** Address to accept control connections on. Default: the first IPv4 address of `iface`; "0.0.0.0" for all. */
  bind?: string;
  /** Serve one pairing, then exit. */
  once?: boolean;
  /** Authenticated sessions at once, at most one per peer address (default 4; 1 with `once`). */
  maxSessions?: number;
  /** Per-peer budgets (runs per minute, reverse frames per 10 s). */
  peerBudget?: Partial<PeerBudgetLimits>;
  /** Control channel limits (tests and embedders). */
  limits?: Partial<ControlLimits>;
  /** Interval of the "rejected N unauthenticated connections" summary line, ms (default 60 s). */
  rejectLogIntervalMs?: number;
  /** One line per event (session start/end, errors, reject summaries). */
  log?: (line: string) => void;
}

export interface Listener {
  readonly port: number;
  /** The address the control port is bound to. */
  readonly host: string;
  /** Runs open right now (each holds one sniffer). */
  readonly openRuns: number;
  /** Resolves when the listener stopped (after close(), or after one session with `once`). */
  readonly done: Promise<void>;
  /** Stops listening, ends every session and closes every sniffer. Idempotent. */
  close(): Promise<void>;
}

interface Run {
  runId: number;
  ports: number[];
  tables: HostTables;
  /** The rest of this host's facts, read while the probes fly; sent with `finish`. */
  facts: HostFactsInProgress;
  initiatorVteps: VtepEndpoint[];
  probeKey: Buffer;
  sniffer: RunSniffer;
  sender: ProbeSender | null;
  reverse: Map<number, ProbeSpec>;
  rounds: Set<number>;
  /** The kernel's drop reasons for what this NIC receives during the run. */
  drops: DropTrace;
}

function closeRun(run: Run | undefined): void {
  if (!run) return;
  void run.sniffer.close();
  run.sender?.close();
  void run.drops.close();
}

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

/** The first IPv4 address of `iface`: where the listener is reachable by default (not every address). */
export function defaultBindAddress(iface: string): string {
  const addr = readAddrs().find((a) => a.ifname === iface && a.family === 4);
  if (!addr) throw new UsageError(`interface ${iface} has no IPv4 address to listen on: pass --bind ADDR (or --bind 0.0.0.0 for all)`);
  return addr.address;
}

/** Items from `from` on, at most `maxItems` and at most `maxBytes` of JSON (at least one item when any is left). */
export function pageByBytes<T>(items: readonly T[], from: number, maxItems: number, maxBytes: number): T[] {
  const page: T[] = [];
  let bytes = 0;
  for (let i = from; i < items.length && page.length < maxItems; i++) {
    bytes += JSON.stringify(items[i]).length + 1;
    if (bytes > maxBytes && page.length > 0) break;
    page.push(items[i]!);
  }
  return page;
}

/** Serialises async work per key: a later call starts when the earlier one settled. */
class KeyedQueue {
  private readonly tails = new Map<number, Promise<unknown>>();
  run<T>(key: number, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const log = opts.log ?? (() => {});
  const runs = new Map<number, Run>();
  const queue = new KeyedQueue();
  const budget = new PeerBudget({ ...DEFAULT_PEER_BUDGET, ...opts.peerBudget });
  /** Per session, what its last hello established, for watch rounds (watch-responder.ts). */
  const baselines = new Map<number, WatchBaseline>();
  const watched = new Set<number>();
  let closed = false;
  const runOf = (session: Session): Run => {
    const run = runs.get(session.id);
    if (!run) throw coded('no run: call hello first', 'no-run');
    return run;
  };
  const endRun = (sessionId: number): void => {
    closeRun(runs.get(sessionId));
    runs.delete(sessionId);
  };
  /** True when the session (or the listener) ended while we awaited: the caller must drop what it opened. */
  const gone = (session: Session) => closed || session.signal.aborted;

  const handlers = implement(pairMethods, {
    hello: (params, session) =>
      queue.run(session.id, async () => {
        budget.spendRun(session.peerAddress);
        endRun(session.id);
        if (!watched.has(session.id)) {
          // One abort listener per session, however many runs it opens.
          watched.add(session.id);
          session.signal.addEventListener('abort', () => {
            watched.delete(session.id);
            baselines.delete(session.id);
            endRun(session.id);
          }, { once: true });
        }
        const ports = [...new Set([...params.ports, params.baselinePort])];
        // The kernel's drop trace is set up on the thread pool while the
        // tables are read and the sniffer opens; the answer waits until it is
        // on, so no probe can arrive untraced.
        const drops = DropTrace.start(opts.iface);
        let sniffer: RunSniffer | null = null;
        try {
          const facts = await startHostFactsAsync({ iface: opts.iface, ports });
          if (gone(session)) throw coded('session ended', 'closed');
          const tables = facts.tables;
          if (opts.name) tables.hostname = opts.name;
          const probeKey = Buffer.from(params.probeKey, 'hex');
          // The firewall tools (child processes) and /proc scans start now and
          // run while the sniffer opens and the initiator plans and probes;
          // `finish` waits for them. Started before probing, their few ms on
          // this thread never delay an `observations` answer.
          facts.complete().catch(() => {});
          sniffer = await RunSniffer.openAsync(tables.nic.name, { ports, runId: params.runId, role: 'responder', probeKey });
          await drops.ready();
          if (gone(session)) throw coded('session ended', 'closed');
          runs.set(session.id, {
            runId: params.runId, ports, tables, facts, initiatorVteps: params.initiatorVteps, probeKey, sniffer,
            sender: null, reverse: new Map(), rounds: new Set(), drops,
          });
          baselines.set(session.id, { initiatorVteps: params.initiatorVteps, ports: params.ports, sniffPorts: ports });
          log(`pairing with ${session.peerAddress}: run ${params.runId}, ports ${params.ports.join(',')}`);
          return { tables: tablesForPeer(tables, params.initiatorVteps, session.peerAddress), peerIp: session.peerAddress };
        } catch (err) {
          void sniffer?.close();
          void drops.close();
          throw err;
        }
      }),

    plan: (params, session) =>
      queue.run(session.id, async () => {
        const run = runOf(session);
        run.sniffer.setPlan(params.probes);
        run.reverse = new Map(params.probes.filter((p) => p.direction === 'reverse').map((p) => [p.probeId, p]));
        // Reverse probes leave the way the kernel routes to the peer, which on an
        // asymmetric host may be another NIC than the one frames arrive on.
        const hop = await resolveNextHop(session.peerAddress);
        if (gone(session) || runs.get(session.id) !== run) throw coded('run ended', 'closed');
        run.sender?.close();
        run.sender = ProbeSender.along(run.sniffer, hop, {
          runId: run.runId,
          // The session's authenticated address, never an address from a message.
          peerIp: session.peerAddress,
          facts: run.tables,
          peerVteps: run.initiatorVteps,
          probeKey: run.probeKey,
        });
        const leavesBy = run.sender.leavesBy;
        if (leavesBy) log(`reverse probes to ${session.peerAddress} leave through ${leavesBy}, not ${run.sniffer.ifname} (asymmetric routing)`);
        return { accepted: run.reverse.size };
      }),

    async send(params, session) {
      const run = runOf(session);
      if (!run.sender) throw coded('no plan: call plan first', 'no-plan');
      if (run.rounds.has(params.round)) throw coded(`round ${params.round} already sent`, 'repeated-round');
      const ids = [...new Set(params.probeIds)];
      budget.spendFrames(session.peerAddress, ids.length);
      run.rounds.add(params.round);
      let sent = 0;
      const notSent: { probeId: number; reason: string }[] = [];
      for (const id of ids) {
        const spec = run.reverse.get(id);
        if (!spec) {
          notSent.push({ probeId: id, reason: 'not a reverse probe of this run' });
          continue;
        }
        if (runs.get(session.id) !== run) break;
        const outcome = await run.sender.send(spec, params.round);
        if (outcome.sent) sent++;
        else notSent.push({ probeId: id, reason: outcome.reason });
      }
      return { sent, notSent };
    },

    async observations(params, session) {
      const run = runOf(session);
      // Paged by bytes, not by count, so the answer always fits in one message.
      return {
        sightings: pageByBytes(run.sniffer.sightings, params.fromSighting, 2048, MAX_OBSERVATION_BYTES / 2),
        icmp: pageByBytes(run.sniffer.icmp, params.fromIcmp, 2048, MAX_OBSERVATION_BYTES / 2),
        dropped: run.sniffer.stats().dropped,
      };
    },

    finish: (_params, session) =>
      queue.run(session.id, async () => {
        const run = runOf(session);
        const [kernelDrops, facts] = await Promise.all([run.drops.stop(arrivedHere(run.sniffer.sightings)), run.facts.complete()]);
        if (runs.get(session.id) !== run) throw coded('run ended', 'closed');
        // The sockets and the trace window close off the JS thread; the answer does not wait for them.
        runs.delete(session.id);
        closeRun(run);
        return { facts: factsForPeer(facts, run.initiatorVteps, session.peerAddress), kernelDrops };
      }),

    watch: (params, session) =>
      queue.run(session.id, async () => {
        // One run per session at a time: a watch replaces an open full run, as a hello would.
        endRun(session.id);
        return serveWatch(params, session, baselines.get(session.id), {
          iface: opts.iface, ...(opts.name ? { name: opts.name } : {}), budget, gone: () => gone(session), page: pageByBytes, log,
        });
      }),
  });

  const once = opts.once ?? false;
  const rejects = new RejectLog({ intervalMs: opts.rejectLogIntervalMs, log });
  const server = await ControlServer.listen({
    port: opts.controlPort,
    host: opts.bind ?? defaultBindAddress(opts.iface),
    secret: opts.secret,
    handlers,
    once,
    limits: { maxSessions: opts.maxSessions ?? (once ? 1 : 4), ...opts.limits },
    onReject: (source, reason) => rejects.note(source, reason),
    onSessionEnd: (end: SessionEnd) => {
      if (!end.session) return; // unauthenticated: summarised by the reject log
      if (end.error) log(`session from ${end.peerAddress} ended: ${end.error.message}`);
      else log(`session from ${end.peerAddress} done`);
    },
  });
  // The NIC's kernel drop trace stays set up while we listen: a run only
  // switches it on and reads it (src/host/trace-instance.ts).
  const releaseTrace = DropTrace.retain(opts.iface, { name: listenerTraceName(opts.iface, server.port) });
  // Every session reads this host's tables: kept until the kernel announces a change (host/table-cache.ts).
  const releaseTables = holdTables();
  const shutdown = () => {
    closed = true;
    releaseTables();
    for (const run of runs.values()) closeRun(run);
    runs.clear();
    rejects.close();
    return releaseTrace();
  };
  return {
    port: server.port,
    host: server.host,
    get openRuns() {
      return runs.size;
    },
    done: server.done.finally(shutdown),
    close: async () => {
      closed = true;
      await server.close();
      await shutdown();
    },
  };
}
