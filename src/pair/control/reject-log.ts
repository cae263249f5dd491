// Failed unauthenticated connections are logged as one summary line per
// interval, never one line each: a scanner or a jammer must not be able to
// flood the listener's log (docs/threat-model.md).
export interface RejectLogOptions {
  /** Summary interval, ms (default 60 s). */
  intervalMs?: number;
  /** Where the summary line goes. */
  log: (line: string) => void;
}

export class RejectLog {
  private count = 0;
  private readonly sources = new Map<string, number>();
  private readonly reasons = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;

  constructor(private readonly opts: RejectLogOptions) {
    this.intervalMs = opts.intervalMs ?? 60_000;
  }

  /** One rejected connection from `source` because of `reason` (a short category). */
  note(source: string, reason: string): void {
    this.count += 1;
    // Bounded: a spoofing scanner cannot grow these maps without limit.
    if (this.sources.has(source) || this.sources.size < 1000) this.sources.set(source, (this.sources.get(source) ?? 0) + 1);
    if (this.reasons.has(reason) || this.reasons.size < 32) this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes the summary now (also at shutdown) and starts a new interval. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count === 0) return;
    const top = [...this.sources].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([s, n]) => `${s} x${n}`);
    const reasons = [...this.reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} x${n}`);
    const seconds = Math.round(this.intervalMs / 100) / 10;
    this.opts.log(
      `rejected ${this.count} unauthenticated connection${this.count === 1 ? '' : 's'} in the last ${seconds} s from ${this.sources.size} source${this.sources.size === 1 ? '' : 's'} (${top.join(', ')}): ${reasons.join(', ')}`,
    );
    this.count = 0;
    this.sources.clear();
    this.reasons.clear();
  }

  close(): void {
    this.flush();
  }
}
