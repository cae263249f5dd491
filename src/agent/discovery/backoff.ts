// Reconnect delays for the watches: exponential, capped, with jitter so that
// thousands of agents that lost the API server at the same moment do not all
// come back at the same moment (docs/discovery.md, "Reconnecting").

export interface BackoffOptions {
  /** First delay (default 500 ms). */
  initialMs?: number;
  /** Cap (default 30 s). */
  maxMs?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(opts: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initialMs = opts.initialMs ?? 500;
    this.maxMs = opts.maxMs ?? 30_000;
  }

  /** The next delay: half the exponential step fixed, half random ("equal jitter"). */
  next(): number {
    const step = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(step / 2 + this.random() * (step / 2));
  }

  /** After a connection that worked: start from the first delay again. */
  reset(): void {
    this.attempt = 0;
  }
}
