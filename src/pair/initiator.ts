// `vxprobe pair PEER`: the active side. Collects facts, plans the matrix with
// the listener, sends forward probes while the listener sends reverse ones,
// watches both sniffers and stops as soon as everything expected arrived
// (or the resend schedule ran out), then classifies.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';
import { classify } from '../diagnose/classify.js';
import type { PairReport, RunRecord, Sighting } from '../diagnose/types.js';
import { UsageError } from '../errors.js';
import { collectHostFacts } from '../host/facts.js';
import { resolveNextHop } from '../host/next-hop.js';
import { ControlClient, DEFAULT_CONTROL_PORT } from './control/index.js';
import { pairMethods, type PairMethods } from './messages.js';
import { DEFAULT_BASELINE_PORT, DEFAULT_PORTS, DEFAULT_VNI, buildPlan } from './plan.js';
import type { ProbeSpec } from './plan-types.js';
import { vtepEndpoints, type SendContext } from './probe-frames.js';
import { newProbeKey } from './probe-auth.js';
import { ProbeSender } from './probe-sender.js';
import { RunSniffer } from './run-sniffer.js';

export interface PairOptions {
  peer: string;
  iface?: string;
  secret: Buffer;
  /** This node's name in the report (Kubernetes node name; default: hostname). */
  name?: string;
  controlPort?: number;
  /** Where the listener's control port is, when not at the peer's probed address (a management network). */
  controlHost?: string;
  ports?: number[];
  baselinePort?: number;
  vni?: number;
  /** Longest the probing phase may take, ms (default 2500). */
  timeoutMs?: number;
  /** Progress lines ("round 2: 31/40 probes seen"). */
  onProgress?: (line: string) => void;
}

/** When each resend round starts, ms after the first. */
const ROUNDS_MS = [0, 150, 400, 800, 1300];
/** Polling the listener's sightings: well under the channel's 50 calls/s limit. */
const POLL_MS = 30;
/** How long a round waits for late frames after the last resend. */
const GRACE_MS = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function resolvePeer(peer: string): Promise<string> {
  if (isIP(peer) === 4) return peer;
  if (isIP(peer) === 6) throw new UsageError(`peer ${peer}: IPv6 underlays are not supported yet; give the node's IPv4 address`);
  try {
    return (await lookup(peer, { family: 4 })).address;
  } catch {
    throw new UsageError(`cannot resolve peer "${peer}": give the node's IPv4 address`);
  }
}

/** A probe is settled when its request was seen on the receiving NIC (and, for a VTEP echo, answered). */
function settled(p: ProbeSpec, seen: Sighting[]): boolean {
  const mine = seen.filter((s) => s.probeId === p.probeId);
  const arrivedThere = mine.some((s) => s.at === 'receiver' && s.dir === 'in' && s.inner !== 'echo-reply');
  if (!arrivedThere) return false;
  if (!p.kind.startsWith('vtep')) return true;
  return mine.some((s) => s.at === 'receiver' && s.dir === 'out' && s.inner === 'echo-reply');
}

export async function pair(opts: PairOptions): Promise<PairReport> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const peerIp = await resolvePeer(opts.peer);
  const ports = opts.ports ?? DEFAULT_PORTS;
  const baselinePort = opts.baselinePort ?? DEFAULT_BASELINE_PORT;
  if (ports.includes(baselinePort)) throw new UsageError(`baseline port ${baselinePort} must not be one of the probed ports`);
  const runId = randomInt(1, 0xffffffff);
  // Tags every probe of this run; shared only inside the encrypted channel (probe-auth.ts).
  const probeKey = newProbeKey();
  const sniffPorts = [...new Set([...ports, baselinePort])];

  const hop = await resolveNextHop(peerIp, { iface: opts.iface });
  const local = await collectHostFacts({ iface: hop.ifname, ports: sniffPorts });
  if (opts.name) local.hostname = opts.name;
  const sniffer = RunSniffer.open(hop.ifname, { ports: sniffPorts, runId, role: 'initiator', probeKey });
  let sender: ProbeSender | null = null;
  let client: ControlClient<PairMethods> | null = null;
  try {
    const controlHost = opts.controlHost ? await resolvePeer(opts.controlHost) : peerIp;
    progress(`connecting to ${controlHost}:${opts.controlPort ?? DEFAULT_CONTROL_PORT}`);
    client = await ControlClient.connect({ host: controlHost, port: opts.controlPort ?? DEFAULT_CONTROL_PORT, secret: opts.secret, methods: pairMethods, timeoutMs: 5000 });
    const hello = await client.call('hello', { runId, ports, baselinePort, initiatorVteps: vtepEndpoints(local, ports), probeKey: probeKey.toString('hex') });
    const peer = hello.facts;
    const plan = buildPlan({ runId, ports, baselinePort, vni: opts.vni ?? DEFAULT_VNI, local, peer });
    sniffer.setPlan(plan.probes);
    await client.call('plan', { probes: plan.probes });

    const ctx: SendContext = { runId, srcIp: hop.srcIp, srcMac: hop.srcMac, nextHopMac: hop.nextHopMac, peerIp, facts: local, peerVteps: vtepEndpoints(peer, ports), probeKey };
    sender = new ProbeSender(sniffer, ctx);
    const remote: { sightings: Sighting[]; icmp: RunRecord['icmp'] } = { sightings: [], icmp: [] };
    const notSent = new Map<number, string>();
    const seen = () => [...sniffer.sightings, ...remote.sightings];
    const pending = () => plan.probes.filter((p) => !notSent.has(p.probeId) && !settled(p, seen()));
    const poll = async () => {
      const obs = await client!.call('observations', { fromSighting: remote.sightings.length, fromIcmp: remote.icmp.length });
      remote.sightings.push(...obs.sightings);
      remote.icmp.push(...obs.icmp);
    };

    const deadline = started + (opts.timeoutMs ?? 2500);
    const t0 = Date.now();
    for (const [round, at] of ROUNDS_MS.entries()) {
      if (t0 + at > deadline) break;
      await sleep(Math.max(0, t0 + at - Date.now()));
      const todo = pending();
      if (todo.length === 0) break;
      const fwd = todo.filter((p) => p.direction === 'forward');
      const rev = todo.filter((p) => p.direction === 'reverse');
      // Started first so both directions fly at once; settled before anything can throw.
      const remoteSend = rev.length
        ? client.call('send', { probeIds: rev.map((p) => p.probeId), round: round + 1 }).then(
            (r) => ({ ok: true as const, r }),
            (err: Error) => ({ ok: false as const, err }),
          )
        : null;
      for (const p of fwd) {
        const outcome = await sender.send(p, round + 1);
        if (!outcome.sent) notSent.set(p.probeId, outcome.reason);
      }
      if (remoteSend) {
        const res = await remoteSend;
        if (!res.ok) throw res.err;
        for (const n of res.r.notSent) notSent.set(n.probeId, n.reason);
      }
      const next = ROUNDS_MS[round + 1];
      const waitUntil = Math.min(deadline, next === undefined ? Date.now() + GRACE_MS : t0 + next);
      while (Date.now() < waitUntil) {
        await sleep(POLL_MS);
        await poll();
        if (pending().length === 0) break;
      }
      progress(`round ${round + 1}: ${plan.probes.length - pending().length}/${plan.probes.length} probes settled`);
    }
    await sleep(POLL_MS);
    await poll();
    if (sniffer.failure) throw sniffer.failure;
    await client.call('finish', {});

    const record: RunRecord = {
      plan,
      local,
      peer,
      localIp: hop.srcIp,
      peerIp,
      sightings: seen(),
      icmp: [...sniffer.icmp, ...remote.icmp],
      notSent: [...notSent].map(([probeId, reason]) => ({ probeId, reason })),
    };
    return toReport(opts.peer, record, started);
  } finally {
    sniffer.close();
    sender?.close();
    client?.close();
  }
}

export function toReport(peerArg: string, record: RunRecord, started: number): PairReport {
  const results = classify(record);
  return {
    version: 1,
    peer: peerArg,
    nodes: { local: { name: record.local.hostname, ip: record.localIp }, peer: { name: record.peer.hostname, ip: record.peerIp } },
    ports: record.plan.ports,
    baselinePort: record.plan.baselinePort,
    runId: record.plan.runId,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    results,
    ok: results.every((r) => r.verdict === 'ok'),
  };
}

