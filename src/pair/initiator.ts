// `vxprobe pair PEER`: the active side. Collects facts, plans the matrix with
// the listener, sends forward probes while the listener sends reverse ones,
// watches both sniffers and stops as soon as everything expected arrived
// (or the resend schedule ran out), then classifies.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';
import type { PairReport, RunRecord, Sighting } from '../diagnose/types.js';
import { UsageError } from '../errors.js';
import { startHostFactsAsync } from '../host/facts.js';
import { resolveNextHop } from '../host/next-hop.js';
// The client side only (control/index.js would load the server too: start-up time).
import { ControlClient } from './control/client.js';
import { ControlError, RemoteCallError } from './control/errors.js';
import { firstCall, type SessionPool } from './session-pool.js';
import { watchRun, type WatchFacts } from './watch-initiator.js';
import { DEFAULT_CONTROL_PORT } from './control/limits.js';
import { pairMethods } from './messages.js';
import { DEFAULT_BASELINE_PORT, DEFAULT_PORTS, DEFAULT_VNI, buildPlan } from './plan.js';
import { vtepEndpoints, type SendContext } from './probe-frames.js';
import { newProbeKey } from './probe-auth.js';
import { ProbeSender } from './probe-sender.js';
import { RunSniffer } from './run-sniffer.js';
import { DropTrace, arrivedHere } from '../host/drop-trace.js';
import type { SavedRun } from '../record/saved-run.js';
import { vxprobeVersion } from '../version.js';
import { runProbeRounds } from './probe-rounds.js';
import { markPhase } from '../timing.js';

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
  /**
   * 'mtu': a watch round, whose size sweep is only the MTU-sized frame (the
   * agent on a healthy pair; see buildPlan). On a session kept in `sessions`
   * after a complete run it is one `watch` call (watch-initiator.ts), without
   * resends or drop traces. Default 'sweep'.
   */
  sizes?: 'sweep' | 'mtu';
  /** Longest the probing phase may take, ms (default 2500). */
  timeoutMs?: number;
  /** Progress lines ("round 2: 31/40 probes seen"). */
  onProgress?: (line: string) => void;
  /** Given the complete run record the report was made from (`pair --record`; `explain` replays it). */
  onRecord?: (run: SavedRun) => void;
  /** Keeps the control session open after a successful run, for the next run with the same listener (the agent). */
  sessions?: SessionPool;
}

async function resolvePeer(peer: string): Promise<string> {
  if (isIP(peer) === 4) return peer;
  if (isIP(peer) === 6) throw new UsageError(`peer ${peer}: IPv6 underlays are not supported yet; give the node's IPv4 address`);
  try {
    return (await lookup(peer, { family: 4 })).address;
  } catch {
    throw new UsageError(`cannot resolve peer "${peer}": give the node's IPv4 address`);
  }
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

  const controlHost = opts.controlHost ? await resolvePeer(opts.controlHost) : peerIp;
  const controlPort = opts.controlPort ?? DEFAULT_CONTROL_PORT;
  const sessionKey = `${controlHost}:${controlPort}`;
  const connect = () => {
    progress(`connecting to ${sessionKey}`);
    const c = ControlClient.connect({ host: controlHost, port: controlPort, secret: opts.secret, methods: pairMethods, timeoutMs: 5000 });
    c.catch(() => {}); // awaited below; closed in `finally` whatever happens before
    return c;
  };
  // Classification is needed only at the end: its modules load while we wait on the network.
  const reporting = import('../record/saved-run.js');
  reporting.catch(() => {});
  const reportOf = async (record: RunRecord): Promise<PairReport> => {
    const { RUN_FORMAT, RUN_FORMAT_VERSION, reportFromRun } = await reporting;
    const run: SavedRun = {
      format: RUN_FORMAT,
      formatVersion: RUN_FORMAT_VERSION,
      vxprobeVersion: vxprobeVersion(),
      options: {
        peer: opts.peer,
        iface: opts.iface ?? null,
        ports,
        baselinePort,
        vni: opts.vni ?? null,
        timeoutMs: opts.timeoutMs ?? 2500,
        controlPort,
        controlHost: opts.controlHost ?? null,
        name: opts.name ?? null,
      },
      timing: { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started },
      record,
    };
    // The live report is the replay of its own record, so `explain` prints the same.
    const report = reportFromRun(run);
    opts.onRecord?.(run);
    return report;
  };

  let kept = opts.sessions?.take(sessionKey) ?? null;
  const keptFacts = kept ? opts.sessions!.factsOf(kept) : undefined;
  if (opts.sizes === 'mtu' && kept && keptFacts) {
    // A watch round on a kept session: one call (watch-initiator.ts).
    try {
      const record = await watchRun({ client: kept, facts: keptFacts, peerIp, iface: opts.iface, ports, baselinePort, vni: opts.vni ?? DEFAULT_VNI, ...(opts.name ? { name: opts.name } : {}) });
      const report = await reportOf(record);
      opts.sessions!.keep(sessionKey, kept, { local: record.local, peer: record.peer });
      return report;
    } catch (err) {
      // The session ended under us (a listener from before watch rounds ends
      // it on the unknown method), or the listener could not serve the watch
      // (no baseline, an answer too large for one message): the full path
      // below, on a fresh connection if needed. A rate limit is final.
      const fallBack = err instanceof RemoteCallError ? err.remoteCode !== 'rate-limited' : err instanceof ControlError;
      if (!fallBack) {
        kept.close();
        throw err;
      }
      if (!kept.isOpen) kept = null;
    }
  }
  // Connecting first: the TCP and TLS handshakes overlap reading the tables,
  // opening the sniffer and starting the drop trace (docs/performance.md).
  let connecting = kept ? Promise.resolve(kept) : connect();
  /** Set after a complete run: both sides' facts, kept with the session for the next watch round. */
  let succeeded: WatchFacts | null = null;
  let sniffer: RunSniffer | null = null;
  let drops: DropTrace | null = null;
  let sender: ProbeSender | null = null;
  try {
    const hop = await resolveNextHop(peerIp, { iface: opts.iface });
    markPhase('next-hop');
    // Reverse probes arrive here: the kernel's reasons if it drops them.
    // Set up on the thread pool while we read tables and connect.
    drops = DropTrace.start(hop.ifname);
    // The tables now (planning needs them); firewall, port owners, sysctls
    // and offloads are read while the probes are in flight.
    const facts = await startHostFactsAsync({ iface: hop.ifname, ports: sniffPorts });
    const tables = facts.tables;
    if (opts.name) tables.hostname = opts.name;
    markPhase('tables');
    sniffer = await RunSniffer.openAsync(hop.ifname, { ports: sniffPorts, runId, role: 'initiator', probeKey });
    const helloParams = { runId, ports, baselinePort, initiatorVteps: vtepEndpoints(tables, ports), probeKey: probeKey.toString('hex') };
    const first = await connecting;
    markPhase('connected');
    const helloing = firstCall(first, first === kept, (c) => c.call('hello', helloParams), connect);
    // The session this run ends up on, for `finally` to keep or close.
    connecting = helloing.then((h) => h.client, () => first);
    helloing.catch(() => {}); // awaited below
    // The rest of our facts (firewall tool, /proc scans) while the listener prepares.
    facts.complete().catch(() => {});
    await drops.ready();
    const { client, result: hello } = await helloing;
    markPhase('hello');
    const peerTables = hello.tables;
    const plan = buildPlan({ runId, ports, baselinePort, vni: opts.vni ?? DEFAULT_VNI, local: tables, peer: peerTables, sizes: opts.sizes ?? 'sweep' });
    sniffer.setPlan(plan.probes);
    await client.call('plan', { probes: plan.probes });
    markPhase('plan');

    const ctx: SendContext = { runId, srcIp: hop.srcIp, srcMac: hop.srcMac, nextHopMac: hop.nextHopMac, peerIp, facts: tables, peerVteps: vtepEndpoints(peerTables, ports), probeKey };
    const runSniffer = sniffer;
    const runSender = (sender = new ProbeSender(runSniffer, ctx));
    const remote: { sightings: Sighting[]; icmp: RunRecord['icmp']; dropped: number } = { sightings: [], icmp: [], dropped: 0 };
    const seen = () => [...runSniffer.sightings, ...remote.sightings];
    const poll = async () => {
      const obs = await client.call('observations', { fromSighting: remote.sightings.length, fromIcmp: remote.icmp.length });
      remote.sightings.push(...obs.sightings);
      remote.icmp.push(...obs.icmp);
      remote.dropped = Math.max(remote.dropped, obs.dropped);
    };

    const rounds = await runProbeRounds({
      probes: plan.probes,
      sendLocal: async (p, round) => {
        const outcome = await runSender.send(p, round);
        return outcome.sent ? null : outcome.reason;
      },
      sendRemote: async (probeIds, round) => (await client.call('send', { probeIds, round })).notSent,
      poll,
      seen,
      // The budget is for the probing itself: collecting both sides' facts
      // (firewall tools included) on a loaded host must not eat it.
      endAt: Date.now() + (opts.timeoutMs ?? 2500),
      onFirstSend: () => markPhase('first-frame-sent'),
      progress,
    });
    if (runSniffer.failure) throw runSniffer.failure;
    markPhase('probing-done');
    // Both sides stop their drop traces and finish their facts at once.
    const [localDrops, finished, localFacts] = await Promise.all([
      drops.stop(arrivedHere(runSniffer.sightings)),
      client.call('finish', {}),
      facts.complete(),
    ]);
    const local = { ...localFacts, hostname: tables.hostname };
    markPhase('finished');

    const record: RunRecord = {
      plan,
      local,
      peer: finished.facts,
      localIp: hop.srcIp,
      peerIp,
      sightings: seen(),
      icmp: [...runSniffer.icmp, ...remote.icmp],
      notSent: [...rounds.notSent].map(([probeId, reason]) => ({ probeId, reason })),
      kernelDrops: { local: localDrops, peer: finished.kernelDrops },
      losses: rounds.losses,
      captureDrops: { local: runSniffer.stats().dropped, peer: remote.dropped },
    };
    const report = await reportOf(record);
    succeeded = { local: record.local, peer: record.peer };
    return report;
  } finally {
    // Releasing a capture socket and removing a tracefs instance wait on the
    // kernel (tens of ms); both run off the JS thread and the report need not wait.
    void sniffer?.close();
    sender?.close();
    void drops?.close();
    // A session is kept only after a complete run: after a failure its state is unknown.
    void connecting.then((c) => (succeeded && opts.sessions ? opts.sessions.keep(sessionKey, c, succeeded) : c.close()), () => {});
  }
}
