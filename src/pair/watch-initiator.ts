// The initiator's side of a one-call watch round (`watch` in messages.ts;
// docs/agent.md, "Watch rounds"): one call instead of hello, plan, sends,
// polls and finish. Both sides read their facts fresh, as in a full run; the
// plan uses the peer's tables from the last run on this kept session, and
// the listener sends its facts only when they changed since its last answer
// (else the record carries the ones kept with the session).
// Our forward probes leave once the first reverse probe arrived, because the
// listener opens its sniffer before it sends: a forward probe sent earlier
// could arrive before anyone listens. The record classifies like any other;
// anything lost is not ok, and the agent then runs the full plan.
import { randomInt } from 'node:crypto';
import type { LossDecision, RunRecord, Sighting } from '../diagnose/types.js';
import { startHostFactsAsync } from '../host/facts.js';
import { resolveNextHop } from '../host/next-hop.js';
import type { HostFacts } from '../host/types.js';
import type { ControlClient } from './control/client.js';
import type { PairMethods } from './messages.js';
import { buildPlan } from './plan.js';
import { newProbeKey } from './probe-auth.js';
import { vtepEndpoints } from './probe-frames.js';
import { settled } from './probe-rounds.js';
import { ProbeSender } from './probe-sender.js';
import { RunSniffer } from './run-sniffer.js';

/** Both sides' facts from the last run on a session: a watch round plans with the peer's tables. */
export interface WatchFacts {
  local: HostFacts;
  peer: HostFacts;
}

/** How long the listener waits for our forward probes (from its receiving the call), and we for its reverse ones. */
export const WATCH_WAIT_MS = 300;
/** Longest our forward probes wait for a first reverse probe (when none comes, the reverse path is broken anyway). */
const HOLD_MS = 50;

export interface WatchRunOptions {
  client: ControlClient<PairMethods>;
  facts: WatchFacts;
  peerIp: string;
  iface?: string;
  ports: number[];
  baselinePort: number;
  vni: number;
  /** This node's name in the report. */
  name?: string;
}

export async function watchRun(o: WatchRunOptions): Promise<RunRecord> {
  const hop = await resolveNextHop(o.peerIp, { iface: o.iface });
  const runId = randomInt(1, 0xffffffff);
  const probeKey = newProbeKey();
  const sniffPorts = [...new Set([...o.ports, o.baselinePort])];
  const facts = await startHostFactsAsync({ iface: hop.ifname, ports: sniffPorts });
  const tables = facts.tables;
  if (o.name) tables.hostname = o.name;
  facts.complete().catch(() => {}); // awaited below; the slow part runs while the probes fly
  const plan = buildPlan({ runId, ports: o.ports, baselinePort: o.baselinePort, vni: o.vni, local: tables, peer: o.facts.peer, sizes: 'mtu' });
  const sniffer = await RunSniffer.openAsync(hop.ifname, { ports: sniffPorts, runId, role: 'initiator', probeKey });
  let sender: ProbeSender | null = null;
  try {
    sniffer.setPlan(plan.probes);
    const answering = o.client.call('watch', { runId, probeKey: probeKey.toString('hex'), probes: plan.probes, waitMs: WATCH_WAIT_MS }, { timeoutMs: WATCH_WAIT_MS + 5000 });
    answering.catch(() => {}); // awaited below
    const forward = plan.probes.filter((p) => p.direction === 'forward');
    const reverse = plan.probes.filter((p) => p.direction === 'reverse');
    const arrivedHere = () => sniffer.sightings.some((s) => s.at === 'receiver' && s.dir === 'in');
    const holdUntil = Date.now() + HOLD_MS;
    let answered = false;
    // then(ok, fail), not finally: a finally-derived promise rejects with the
    // call and, unhandled, would end the process when the peer closes the session.
    answering.then(() => (answered = true), () => (answered = true));
    while (!arrivedHere() && !answered && !sniffer.failure && Date.now() < holdUntil) {
      await Promise.race([sniffer.nextSighting(holdUntil - Date.now()), answering.catch(() => {})]);
    }
    sender = new ProbeSender(sniffer, {
      runId, srcIp: hop.srcIp, srcMac: hop.srcMac, nextHopMac: hop.nextHopMac, peerIp: o.peerIp,
      facts: tables, peerVteps: vtepEndpoints(o.facts.peer, o.ports), probeKey,
    });
    const notSent: RunRecord['notSent'] = [];
    for (const p of forward) {
      const outcome = await sender.send(p, 1);
      if (!outcome.sent) notSent.push({ probeId: p.probeId, reason: outcome.reason });
    }
    const remote = await answering;
    // The listener sent its reverse probes before it answered: they are here
    // by now, or within a ring block's retire time.
    const unsent = new Set(remote.notSent.map((n) => n.probeId));
    const waitUntil = Date.now() + 20;
    while (Date.now() < waitUntil && !sniffer.failure && !reverse.every((p) => unsent.has(p.probeId) || settled(p, sniffer.sightings))) {
      await sniffer.nextSighting(waitUntil - Date.now());
    }
    if (sniffer.failure) throw sniffer.failure;
    const sightings: Sighting[] = [...sniffer.sightings, ...remote.sightings];
    notSent.push(...remote.notSent);
    const skipped = new Set(notSent.map((n) => n.probeId));
    const losses: LossDecision[] = plan.probes
      .filter((p) => !skipped.has(p.probeId) && !settled(p, sightings))
      .map((p) => ({ probeId: p.probeId, deadlineMs: WATCH_WAIT_MS, tries: 1, rttMs: null, spreadMs: null }));
    const local = { ...(await facts.complete()), hostname: tables.hostname };
    return {
      // Null: the listener's facts are those of its last answer on this session, which we kept.
      plan, local, peer: remote.facts ?? o.facts.peer, localIp: hop.srcIp, peerIp: o.peerIp,
      sightings, icmp: [...sniffer.icmp, ...remote.icmp], notSent, losses,
      captureDrops: { local: sniffer.stats().dropped, peer: remote.dropped },
    };
  } finally {
    sender?.close();
    void sniffer.close();
  }
}
