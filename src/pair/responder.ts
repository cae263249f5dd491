// `vxprobe listen`: the passive side of a pairing. It answers an
// authenticated initiator with its host facts, sniffs its NIC for the run,
// and sends the reverse probes — only to the authenticated peer's address,
// only from specs it builds itself, a bounded number of times.
import { startHostFactsAsync } from '../host/facts.js';
import type { HostFacts } from '../host/types.js';
import { resolveNextHop } from '../host/next-hop.js';
import { ControlServer, type SessionEnd } from './control/index.js';
import { implement } from './control/rpc.js';
import type { Session } from './control/rpc.js';
import { pairMethods } from './messages.js';
import type { ProbeSpec } from './plan-types.js';
import type { VtepEndpoint } from './probe-frames.js';
import { factsForPeer } from './shared-facts.js';
import { ProbeSender } from './probe-sender.js';
import { PacketSocket } from '../wire/packet-socket.js';
import { RunSniffer } from './run-sniffer.js';
import { DropTrace, arrivedHere } from '../host/drop-trace.js';

export interface ListenOptions {
  iface: string;
  secret: Buffer;
  /** This node's name in reports (Kubernetes node name; default: hostname). */
  name?: string;
  controlPort?: number;
  bind?: string;
  /** Serve one pairing, then exit. */
  once?: boolean;
  /** One line per event (session start/end, errors). */
  log?: (line: string) => void;
}

export interface Listener {
  readonly port: number;
  /** Resolves when the listener stopped (after close(), or after one session with `once`). */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

interface Run {
  runId: number;
  ports: number[];
  facts: HostFacts;
  initiatorVteps: VtepEndpoint[];
  sniffer: RunSniffer;
  sender: ProbeSender | null;
  reverse: Map<number, ProbeSpec>;
  rounds: Set<number>;
  /** The kernel's drop reasons for what this NIC receives during the run. */
  drops: DropTrace;
}

function closeRun(run: Run | undefined): void {
  if (!run) return;
  run.sniffer.close();
  run.sender?.close();
  run.drops.close();
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const log = opts.log ?? (() => {});
  const runs = new Map<number, Run>();
  const runOf = (session: Session): Run => {
    const run = runs.get(session.id);
    if (!run) throw Object.assign(new Error('no run: call hello first'), { code: 'no-run' });
    return run;
  };

  const handlers = implement(pairMethods, {
    async hello(params, session) {
      closeRun(runs.get(session.id));
      const ports = [...new Set([...params.ports, params.baselinePort])];
      // Tables read off the JS thread; the firewall tool and /proc scans overlap them.
      const facts = await (await startHostFactsAsync({ iface: opts.iface, ports })).complete();
      if (opts.name) facts.hostname = opts.name;
      const sniffer = RunSniffer.open(facts.nic.name, { ports, runId: params.runId, role: 'responder' });
      const run: Run = { runId: params.runId, ports, facts, initiatorVteps: params.initiatorVteps, sniffer, sender: null, reverse: new Map(), rounds: new Set(), drops: DropTrace.start(facts.nic.name) };
      runs.set(session.id, run);
      session.signal.addEventListener('abort', () => {
        closeRun(runs.get(session.id));
        runs.delete(session.id);
      });
      log(`pairing with ${session.peerAddress}: run ${params.runId}, ports ${params.ports.join(',')}`);
      return { facts: factsForPeer(facts, params.initiatorVteps, session.peerAddress), peerIp: session.peerAddress };
    },

    async plan(params, session) {
      const run = runOf(session);
      run.sniffer.setPlan(params.probes);
      run.reverse = new Map(params.probes.filter((p) => p.direction === 'reverse').map((p) => [p.probeId, p]));
      // Reverse probes leave the way the kernel routes to the peer, which on an
      // asymmetric host may be another NIC than the one frames arrive on.
      const hop = await resolveNextHop(session.peerAddress);
      const wire = hop.ifname === run.sniffer.ifname ? null : PacketSocket.open(hop.ifname, { capture: false });
      if (wire) log(`reverse probes to ${session.peerAddress} leave through ${hop.ifname}, not ${run.sniffer.ifname} (asymmetric routing)`);
      run.sender?.close();
      run.sender = new ProbeSender(run.sniffer, {
        runId: run.runId,
        srcIp: hop.srcIp,
        srcMac: hop.srcMac,
        nextHopMac: hop.nextHopMac,
        // The session's authenticated address, never an address from a message.
        peerIp: session.peerAddress,
        facts: run.facts,
        peerVteps: run.initiatorVteps,
      }, wire);
      return { accepted: run.reverse.size };
    },

    async send(params, session) {
      const run = runOf(session);
      if (!run.sender) throw Object.assign(new Error('no plan: call plan first'), { code: 'no-plan' });
      if (run.rounds.has(params.round)) throw Object.assign(new Error(`round ${params.round} already sent`), { code: 'repeated-round' });
      run.rounds.add(params.round);
      let sent = 0;
      const notSent: { probeId: number; reason: string }[] = [];
      for (const id of new Set(params.probeIds)) {
        const spec = run.reverse.get(id);
        if (!spec) {
          notSent.push({ probeId: id, reason: 'not a reverse probe of this run' });
          continue;
        }
        const outcome = await run.sender.send(spec, params.round);
        if (outcome.sent) sent++;
        else notSent.push({ probeId: id, reason: outcome.reason });
      }
      return { sent, notSent };
    },

    async observations(params, session) {
      const run = runOf(session);
      const sightings = run.sniffer.sightings.slice(params.fromSighting, params.fromSighting + 2048);
      const icmp = run.sniffer.icmp.slice(params.fromIcmp, params.fromIcmp + 2048);
      return { sightings, icmp, dropped: run.sniffer.stats().dropped };
    },

    async finish(_params, session) {
      const run = runs.get(session.id);
      const kernelDrops = run?.drops.stop(arrivedHere(run.sniffer.sightings));
      closeRun(run);
      runs.delete(session.id);
      return kernelDrops ? { kernelDrops } : {};
    },
  });

  const server = await ControlServer.listen({
    port: opts.controlPort,
    host: opts.bind,
    secret: opts.secret,
    handlers,
    once: opts.once,
    onSessionEnd: (end: SessionEnd) => {
      if (end.error) log(`session from ${end.peerAddress} ended: ${end.error.message}`);
      else if (end.session) log(`session from ${end.peerAddress} done`);
    },
  });
  return {
    port: server.port,
    done: server.done.finally(() => {
      for (const run of runs.values()) closeRun(run);
      runs.clear();
    }),
    close: async () => {
      await server.close();
      for (const run of runs.values()) closeRun(run);
      runs.clear();
    },
  };
}
