// When each selected peer is probed (docs/agent.md, "Scheduling"): every
// peer at its own phase of the interval (a hash of the pair, so load is
// spread and the same on every restart), with jitter, at most `concurrency`
// probes at once. A peer whose listener is busy with someone else is retried
// a little later within the same interval instead of being marked down.
import { hash32 } from './selection.js';

export interface ScheduledPeer {
  name: string;
  ip: string;
}

/** 'confirm': a verdict just changed; the next round comes early (a quarter interval) to confirm it. */
export type ProbeOutcome = 'done' | 'busy' | 'confirm';

export interface SchedulerOptions {
  /** This node's name: part of each peer's phase. */
  self: string;
  intervalMs: number;
  /** Probes running at once. */
  concurrency: number;
  /** Jitter as a fraction of the interval (0.1 = +-10%). */
  jitter: number;
  /** First round of a new peer within this many ms (spread by phase), so results show up quickly. */
  firstRoundWithinMs: number;
  /** Probes one peer; 'busy' asks for a retry later in the interval. Must not throw. */
  probe(peer: ScheduledPeer): Promise<ProbeOutcome>;
  /** A round with a peer finished (any outcome but busy-retried). */
  onRoundDone?(peer: ScheduledPeer, at: number): void;
  random?: () => number;
}

interface Entry {
  peer: ScheduledPeer;
  timer: NodeJS.Timeout | null;
  /** Start of the interval the peer's current round belongs to. */
  due: number;
  running: boolean;
  removed: boolean;
  /** Busy answers in a row for the current round. */
  busyRetries: number;
}

const BUSY_RETRY_MIN_MS = 250;
const BUSY_RETRY_MAX_MS = 1500;
const CONFIRM_AFTER = 0.25;

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;
  private stopped = false;
  private readonly random: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError('interval must be positive');
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    this.random = opts.random ?? Math.random;
  }

  /** The peer's fixed offset within the interval. */
  phaseOf(peer: string): number {
    return hash32(`${this.opts.self}>${peer}`) / 0x1_0000_0000;
  }

  /** Replaces the peer set: new peers get a first round soon, departed ones are cancelled. */
  setPeers(peers: ScheduledPeer[]): void {
    if (this.stopped) return;
    const wanted = new Map(peers.map((p) => [p.name, p]));
    for (const [name, entry] of this.entries) {
      if (wanted.has(name)) continue;
      entry.removed = true;
      if (entry.timer) clearTimeout(entry.timer);
      this.entries.delete(name);
    }
    const now = Date.now();
    for (const peer of peers) {
      const entry = this.entries.get(peer.name);
      if (entry) {
        entry.peer = peer;
        continue;
      }
      const first = now + this.phaseOf(peer.name) * Math.min(this.opts.intervalMs, this.opts.firstRoundWithinMs);
      const fresh: Entry = { peer, timer: null, due: first, running: false, removed: false, busyRetries: 0 };
      this.entries.set(peer.name, fresh);
      this.arm(fresh, first);
    }
  }

  peers(): string[] {
    return [...this.entries.keys()];
  }

  /** Cancels every timer and waits (at most `graceMs`) for running probes. */
  async stop(graceMs = 1000): Promise<void> {
    this.stopped = true;
    for (const entry of this.entries.values()) if (entry.timer) clearTimeout(entry.timer);
    this.entries.clear();
    this.queue.length = 0;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((r) => {
        timer = setTimeout(r, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private arm(entry: Entry, at: number): void {
    if (this.stopped || entry.removed) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      this.enqueue(entry);
    }, Math.max(0, at - Date.now()));
  }

  private enqueue(entry: Entry): void {
    if (this.stopped || entry.removed || entry.running || this.queue.includes(entry)) return;
    this.queue.push(entry);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.opts.concurrency && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      if (entry.removed) continue;
      this.running++;
      entry.running = true;
      const p = this.runOne(entry).finally(() => {
        this.running--;
        entry.running = false;
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async runOne(entry: Entry): Promise<void> {
    let outcome: ProbeOutcome;
    try {
      outcome = await this.opts.probe(entry.peer);
    } catch {
      outcome = 'done';
    }
    if (this.stopped || entry.removed) return;
    const now = Date.now();
    const interval = this.opts.intervalMs;
    const nextDue = entry.due + interval;
    if (outcome === 'busy') {
      // The peer's listener serves someone else: try again soon, with growing spacing, until this
      // round gets through (a round given up here would leave the peer unprobed for a whole interval).
      entry.busyRetries++;
      const spread = Math.min(BUSY_RETRY_MAX_MS, BUSY_RETRY_MIN_MS * 2 ** Math.min(entry.busyRetries, 3));
      const retryAt = now + BUSY_RETRY_MIN_MS + this.random() * spread;
      if (retryAt < nextDue + interval) {
        this.arm(entry, retryAt);
        return;
      }
    } else {
      entry.busyRetries = 0;
      this.opts.onRoundDone?.(entry.peer, now);
    }
    if (outcome === 'confirm') {
      // 2 of 3 rounds must agree before a verdict changes: fetch the second opinion soon.
      entry.due = now + interval * CONFIRM_AFTER;
      this.arm(entry, entry.due);
      return;
    }
    // Catch up without bursts when a round overran whole intervals.
    entry.due = nextDue <= now ? now + interval * this.phaseOf(entry.peer.name) * 0.5 : nextDue;
    const jitter = (this.random() * 2 - 1) * this.opts.jitter * interval;
    this.arm(entry, entry.due + jitter);
  }
}
