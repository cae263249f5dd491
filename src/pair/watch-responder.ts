// The listener's side of a one-call watch round (`watch` in messages.ts;
// docs/agent.md, "Watch rounds"): read this host's facts, sniff, send the
// reverse probes once, wait for the forward ones, answer with what arrived
// and the facts, as `finish` would. A peer can only watch ports its last
// `hello` on this session opened, within the same per-peer budget as a full
// run; the frames are built here from specs, to the session's authenticated
// address.
import { startHostFactsAsync } from '../host/facts.js';
import { ruleTextWithoutCounters } from '../host/firewall-nft.js';
import { resolveNextHop } from '../host/next-hop.js';
import type { HostFacts } from '../host/types.js';
import type { IcmpSighting, Sighting } from '../diagnose/types.js';
import type { Session } from './control/rpc.js';
import { MAX_OBSERVATION_BYTES } from './messages.js';
import type { PeerBudget } from './peer-budget.js';
import type { ProbeSpec } from './plan-types.js';
import type { VtepEndpoint } from './probe-frames.js';
import { settled } from './probe-rounds.js';
import { ProbeSender } from './probe-sender.js';
import { RunSniffer } from './run-sniffer.js';
import { factsForPeer } from './shared-facts.js';

/** What the session's last `hello` established: a watch round reuses it. */
export interface WatchBaseline {
  initiatorVteps: VtepEndpoint[];
  /** The probed ports of that hello, and with the baseline port what the sniffer listens on. */
  ports: number[];
  sniffPorts: number[];
  /** The facts of the last watch answer since that hello (without rule counters): the next answer omits them when unchanged. */
  lastFacts?: string;
}

export interface WatchParams {
  runId: number;
  probeKey: string;
  probes: ProbeSpec[];
  waitMs: number;
}

export interface WatchAnswer {
  sightings: Sighting[];
  icmp: IcmpSighting[];
  dropped: number;
  notSent: { probeId: number; reason: string }[];
  /** Null when those of the last answer on this session since its hello, but for rule counters (the initiator kept those). */
  facts: HostFacts | null;
}

export interface WatchDeps {
  iface: string;
  /** This node's name in reports (the listener's --name). */
  name?: string;
  budget: PeerBudget;
  /** True once the session or the listener ended: stop waiting. */
  gone: () => boolean;
  page: <T>(items: readonly T[], from: number, maxItems: number, maxBytes: number) => T[];
  log: (line: string) => void;
}

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

/**
 * What two answers' facts are compared by: everything but firewall rule
 * counters (a rule's `packets`, and the values nft prints into its text),
 * which move with every packet and decide nothing (they are evidence), or the
 * facts would differ every round on any host whose rules count. A watch round
 * that is not ok is followed by a full one, whose `finish` carries them fresh.
 */
export function factsWithoutCounters(facts: HostFacts): string {
  return JSON.stringify(facts, (key, value: unknown) =>
    key === 'packets' ? undefined : key === 'text' && typeof value === 'string' ? ruleTextWithoutCounters(value) : value,
  );
}

export async function serveWatch(params: WatchParams, session: Session, base: WatchBaseline | undefined, deps: WatchDeps): Promise<WatchAnswer> {
  if (!base) throw coded('no full run on this session yet: call hello first', 'no-baseline');
  const outside = params.probes.find((p) => !base.sniffPorts.includes(p.port));
  if (outside) throw coded(`probe ${outside.probeId} is on port ${outside.port}, which this session's hello did not open`, 'bad-plan');
  const reverse = params.probes.filter((p) => p.direction === 'reverse');
  const forward = params.probes.filter((p) => p.direction === 'forward');
  deps.budget.spendRun(session.peerAddress);
  deps.budget.spendFrames(session.peerAddress, reverse.length);
  const deadline = Date.now() + params.waitMs;
  const probeKey = Buffer.from(params.probeKey, 'hex');
  // Fresh facts, as a full run's would be: a verdict that comes from facts alone must not lag.
  const facts = await startHostFactsAsync({ iface: deps.iface, ports: base.sniffPorts });
  if (deps.gone()) throw coded('session ended', 'closed');
  const tables = facts.tables;
  if (deps.name) tables.hostname = deps.name;
  facts.complete().catch(() => {}); // the slow part (reused for a while in an agent) while probes fly
  const sniffer = await RunSniffer.openAsync(tables.nic.name, { ports: base.sniffPorts, runId: params.runId, role: 'responder', probeKey });
  let sender: ProbeSender | null = null;
  try {
    sniffer.setPlan(params.probes);
    deps.log(`pairing with ${session.peerAddress}: run ${params.runId}, ports ${base.ports.join(',')} (watch)`);
    const hop = await resolveNextHop(session.peerAddress);
    if (deps.gone()) throw coded('session ended', 'closed');
    sender = ProbeSender.along(sniffer, hop, {
      runId: params.runId,
      // The session's authenticated address, never an address from a message.
      peerIp: session.peerAddress, facts: tables, peerVteps: base.initiatorVteps, probeKey,
    });
    // Our sniffer is open before the first reverse probe leaves: the initiator
    // sends its forward probes once it sees one arrive (watch-initiator.ts).
    const notSent: WatchAnswer['notSent'] = [];
    for (const p of reverse) {
      const outcome = await sender.send(p, 1);
      if (!outcome.sent) notSent.push({ probeId: p.probeId, reason: outcome.reason });
    }
    while (Date.now() < deadline && !deps.gone() && !sniffer.failure && !forward.every((p) => settled(p, sniffer.sightings))) {
      await sniffer.nextSighting(deadline - Date.now());
    }
    if (sniffer.failure) throw sniffer.failure;
    const shared = factsForPeer(await facts.complete(), base.initiatorVteps, session.peerAddress);
    const text = factsWithoutCounters(shared);
    const unchanged = base.lastFacts === text;
    base.lastFacts = text;
    return {
      facts: unchanged ? null : shared,
      // Bounded so the facts fit beside them in one message; a watch round
      // sees a few dozen frames, and a cut list only reads as lost probes.
      sightings: deps.page(sniffer.sightings, 0, 2048, MAX_OBSERVATION_BYTES / 4),
      icmp: deps.page(sniffer.icmp, 0, 2048, MAX_OBSERVATION_BYTES / 16),
      dropped: sniffer.stats().dropped,
      notSent,
    };
  } finally {
    sender?.close();
    void sniffer.close();
  }
}
