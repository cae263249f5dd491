// Per-peer budgets of the listener (docs/threat-model.md, "What an
// authenticated peer can make it do"): a peer may open only so many runs
// (each costs a firewall dump, a /proc scan and an 8 MiB capture ring) and
// ask for only so many reverse frames per window, across all its sessions.
export interface PeerBudgetLimits {
  /** Runs (`hello`) per peer per minute. */
  runsPerMinute: number;
  /** Reverse-probe frames per peer per 10 s. */
  framesPer10s: number;
}

export const DEFAULT_PEER_BUDGET: Readonly<PeerBudgetLimits> = Object.freeze({ runsPerMinute: 30, framesPer10s: 4096 });

class Window {
  private start = 0;
  private used = 0;
  constructor(
    private readonly limit: number,
    private readonly ms: number,
  ) {}
  take(amount: number, now: number): boolean {
    if (now - this.start >= this.ms) {
      this.start = now;
      this.used = 0;
    }
    if (this.used + amount > this.limit) return false;
    this.used += amount;
    return true;
  }
  idleSince(now: number): boolean {
    return now - this.start >= this.ms;
  }
}

export class PeerBudget {
  private readonly peers = new Map<string, { runs: Window; frames: Window }>();

  constructor(private readonly limits: PeerBudgetLimits = DEFAULT_PEER_BUDGET) {}

  private of(peer: string, now: number) {
    // Forget idle peers so the map stays the size of the active ones.
    if (this.peers.size > 1024) {
      for (const [k, v] of this.peers) if (v.runs.idleSince(now) && v.frames.idleSince(now)) this.peers.delete(k);
    }
    let entry = this.peers.get(peer);
    if (!entry) {
      entry = { runs: new Window(this.limits.runsPerMinute, 60_000), frames: new Window(this.limits.framesPer10s, 10_000) };
      this.peers.set(peer, entry);
    }
    return entry;
  }

  /** Whether `peer` may open another run now. */
  takeRun(peer: string, now = Date.now()): boolean {
    return this.of(peer, now).runs.take(1, now);
  }

  /** Whether `peer` may have `frames` more reverse frames sent now. */
  takeFrames(peer: string, frames: number, now = Date.now()): boolean {
    return this.of(peer, now).frames.take(frames, now);
  }

  /** Takes one run for `peer`, or throws the `rate-limited` error the listener answers with. */
  spendRun(peer: string, now = Date.now()): void {
    if (!this.takeRun(peer, now)) throw rateLimited(`at most ${this.limits.runsPerMinute} runs per minute per peer`);
  }

  /** Takes `frames` reverse frames for `peer`, or throws the `rate-limited` error the listener answers with. */
  spendFrames(peer: string, frames: number, now = Date.now()): void {
    if (!this.takeFrames(peer, frames, now)) throw rateLimited(`at most ${this.limits.framesPer10s} reverse probes per 10 s per peer`);
  }
}

const rateLimited = (what: string) => Object.assign(new Error(`rate limit: ${what}`), { code: 'rate-limited' });
