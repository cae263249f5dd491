// One side's sniffer for a run: captures on the NIC (probed ports, the
// baseline port and ICMP) and keeps what carries this run's token, as
// Sightings relative to each probe's direction.
import type { IcmpSighting, Sighting } from '../diagnose/types.js';
import type { ParsedFrame } from '../wire/frame.js';
import { PacketSocket, type CapturedFrame } from '../wire/packet-socket.js';
import type { Direction } from './plan-types.js';
import { hasValidTag } from './probe-auth.js';

export type Role = 'initiator' | 'responder';

/** Caps what one side keeps, so a flood of replayed frames can't eat memory. */
const MAX_SIGHTINGS = 20_000;
/**
 * Sightings kept per probe: a probe is sent at most 3 copies x 16 rounds and
 * seen at most going out and coming in (request and echo reply), so anything
 * beyond this is replayed frames that add no evidence.
 */
const MAX_PER_PROBE = 3 * 16 * 4;
/**
 * One run's capture ring: 1 MiB in 8 blocks. A run sees a few hundred frames
 * at most, and the ring's pages are mapped (resident) while the run lasts, so
 * an agent serving several runs at once pays for each ring (docs/agent.md,
 * "Budgets"). Eight blocks, each handed over when full or after 8 ms, keep
 * the ring draining in small steps.
 */
const RUN_RING = { ringBlocks: 8, ringBlockSize: 128 * 1024 };

function innerKind(f: ParsedFrame): Sighting['inner'] {
  const icmp = f.inner?.icmp;
  if (icmp) return icmp.type === 0 ? 'echo-reply' : icmp.type === 8 ? 'echo-request' : null;
  return f.inner?.udp ? 'udp' : null;
}

export function toSighting(c: CapturedFrame, at: Sighting['at']): Sighting | null {
  const f = c.frame;
  if (!f.token || !f.ipv4) return null;
  return {
    probeId: f.token.probeId,
    seq: f.token.seq,
    at,
    dir: c.direction,
    time: c.time,
    srcIp: f.ipv4.src,
    dstIp: f.ipv4.dst,
    srcPort: f.udp?.srcPort ?? null,
    dstPort: f.udp?.dstPort ?? null,
    ttl: f.ipv4.ttl,
    ipLength: f.ipv4.totalLength,
    // With checksum offload the bytes we see hold no final checksum yet.
    udpChecksumOk: c.checksumPending ? null : (f.udp?.checksumOk ?? null),
    vni: f.vxlan?.vni ?? null,
    innerSrcMac: f.inner?.eth?.src ?? null,
    innerDstMac: f.inner?.eth?.dst ?? null,
    innerSrcIp: f.inner?.ipv4?.src ?? null,
    innerDstIp: f.inner?.ipv4?.dst ?? null,
    inner: innerKind(f),
  };
}

/**
 * How long a frame may wait in a ring block before the block is handed over.
 * A run waits for its frames, so short: the kernel rounds it up to one timer
 * tick (4 ms at HZ=250), and the timer runs only while a run is open.
 */
export const RUN_RING_RETIRE_MS = 2;

export class RunSniffer {
  readonly sightings: Sighting[] = [];
  readonly icmp: IcmpSighting[] = [];
  private directions = new Map<number, Direction>();
  /** Frames seen before the plan was known (the peer may start sending first). */
  private early: CapturedFrame[] = [];
  private error: Error | null = null;
  private readonly perProbe = new Map<number, number>();
  private readonly seenKeys = new Set<string>();
  /** Frames carrying this run's token with a missing or wrong tag: forged or corrupted, never recorded. */
  unauthenticated = 0;
  /** Callers of `nextSighting`, woken when something is recorded or the capture fails. */
  private waiters = new Set<() => void>();

  private constructor(
    private readonly socket: PacketSocket,
    private readonly runId: number,
    private readonly role: Role,
    private readonly probeKey: Buffer,
  ) {
    // Every frame is parsed natively into the batch's flat records; only the
    // ones carrying this run's token become objects.
    socket.onRecords((batch) => {
      const mine: CapturedFrame[] = [];
      for (let i = 0; i < batch.count; i++) {
        const token = batch.token(i) ?? batch.quotedToken(i);
        if (token && token.runId === this.runId) mine.push(batch.frame(i));
      }
      if (mine.length) this.take(mine);
    });
    socket.onError((err) => {
      this.error = err;
      this.wake();
    });
  }

  /**
   * `probeKey`: the run's probe key; only frames whose tag it verifies are
   * recorded (probe-auth.ts). The ring is set up on a libuv pool thread
   * (PacketSocket.openAsync): a run's set-up never stops the event loop.
   */
  static async openAsync(iface: string, opts: { ports: number[]; runId: number; role: Role; probeKey: Buffer }): Promise<RunSniffer> {
    const socket = await PacketSocket.openAsync(iface, { ports: opts.ports, icmp: true, vxlanPorts: opts.ports, ...RUN_RING, raw: true, retireMs: RUN_RING_RETIRE_MS });
    return new RunSniffer(socket, opts.runId, opts.role, opts.probeKey);
  }

  get ifname(): string {
    return this.socket.ifname;
  }
  get mac(): string {
    return this.socket.mac;
  }
  /** The capture error that stopped this sniffer, if any. */
  get failure(): Error | null {
    return this.error;
  }

  setPlan(probes: { probeId: number; direction: Direction }[]): void {
    this.directions = new Map(probes.map((p) => [p.probeId, p.direction]));
    const early = this.early;
    this.early = [];
    this.take(early);
  }

  /** Whether this side sent probes of `direction`. */
  private atFor(direction: Direction): Sighting['at'] {
    const iSendForward = this.role === 'initiator';
    return (direction === 'forward') === iSendForward ? 'sender' : 'receiver';
  }

  /**
   * Resolves when the next sighting or ICMP error is recorded, the capture
   * fails, or after `ms`: a run waiting for its frames wakes once per batch
   * the ring hands over instead of polling on a timer.
   */
  nextSighting(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const done of [...this.waiters]) done();
  }

  private take(batch: CapturedFrame[]): void {
    const before = this.sightings.length + this.icmp.length;
    this.record(batch);
    if (this.sightings.length + this.icmp.length > before) this.wake();
  }

  private record(batch: CapturedFrame[]): void {
    for (const c of batch) {
      if (this.sightings.length + this.icmp.length >= MAX_SIGHTINGS) return;
      const f = c.frame;
      const quoted = f.icmp?.quoted?.token;
      const token = f.token ?? quoted;
      if (!token || token.runId !== this.runId) continue;
      if (!c.raw || !hasValidTag(this.probeKey, c.raw, token)) {
        this.unauthenticated += 1;
        continue;
      }
      const direction = this.directions.get(token.probeId);
      if (!direction) {
        if (this.directions.size === 0 && this.early.length < 1000) this.early.push(c);
        continue;
      }
      const at = this.atFor(direction);
      if (!this.keep(c, token.probeId, token.seq)) continue;
      if (quoted && f.icmp && f.ipv4) {
        this.icmp.push({ probeId: token.probeId, at, time: c.time, from: f.ipv4.src, type: f.icmp.type, code: f.icmp.code, nextHopMtu: f.icmp.nextHopMtu });
        continue;
      }
      const s = toSighting(c, at);
      if (s) this.sightings.push(s);
    }
  }

  /**
   * Bounds what one probe may record: an exact repeat of a frame already seen
   * (a replay) adds nothing, and no probe records more than MAX_PER_PROBE.
   */
  private keep(c: CapturedFrame, probeId: number, seq: number): boolean {
    const f = c.frame;
    const key = `${probeId}/${seq}/${c.direction}/${f.icmp ? `icmp${f.icmp.type}` : ''}/${innerKind(f) ?? ''}/${f.udp?.dstPort ?? ''}/${f.vxlan?.vni ?? ''}`;
    if (this.seenKeys.has(key)) return false;
    const n = this.perProbe.get(probeId) ?? 0;
    if (n >= MAX_PER_PROBE) return false;
    this.seenKeys.add(key);
    this.perProbe.set(probeId, n + 1);
    return true;
  }

  /** Sends a frame out of the sniffed NIC. */
  send(frame: Buffer): void {
    this.socket.send(frame);
  }

  stats() {
    return this.socket.stats();
  }

  /**
   * Closed at once (nothing is recorded afterwards); the kernel's release of
   * the capture socket runs off the JS thread (docs/performance.md). The
   * promise never rejects, so callers may ignore it.
   */
  close(): Promise<void> {
    return this.socket.closeAsync();
  }
}
