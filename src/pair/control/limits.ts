// Limits and timeouts of a control session. Defaults suit pairing on a LAN:
// a handful of calls, results up to a few hundred KiB (host facts).

export interface ControlLimits {
  /** Longest line (one message) accepted after the handshake, in bytes. */
  maxLineBytes: number;
  /** Longest line accepted during the handshake (an unauthenticated peer gets little). */
  handshakeLineBytes: number;
  /** The whole handshake must finish within this time. */
  handshakeTimeoutMs: number;
  /** Server: end a session when the peer sends nothing for this long while no call runs (0 = never). */
  idleTimeoutMs: number;
  /** Incoming messages per second before the session ends. */
  maxMessagesPerSecond: number;
  /** Incoming bytes per second before the session ends. */
  maxBytesPerSecond: number;
  /** Server: calls per second per session; excess calls get a `rate-limited` error (no queue). */
  maxCallsPerSecond: number;
  /** Server: calls running at once per session; excess calls get a `busy` error. */
  maxConcurrentCalls: number;
  /** Server: authenticated sessions at once (at most one per peer address); further peers are rejected as busy. */
  maxSessions: number;
  /**
   * Server: when all session slots are taken, the session quiet for longest
   * is ended for a newcomer if it has been quiet this long (0 = never).
   * Agents keep a session per peer between rounds (src/pair/session-pool.ts),
   * and a kept session must not lock out a peer that wants to probe now; a
   * run polls every few ms, so no session in the middle of a run is this quiet.
   */
  yieldQuietSessionMs: number;
  /** Server: connections still in the handshake at once; when full, the oldest is dropped for the newcomer. */
  maxPendingHandshakes: number;
  /** Server: connections still in the handshake per source (IPv4 address, IPv6 /64). */
  maxPendingPerSource: number;
  /** Server: longest an authenticated session may last, however busy (0 = no limit). */
  maxSessionMs: number;
  /** Unsent bytes queued to a peer that does not read before the session ends. */
  maxWriteBacklogBytes: number;
}

export const DEFAULT_CONTROL_PORT = 7473;


export const DEFAULT_LIMITS: Readonly<ControlLimits> = Object.freeze({
  maxLineBytes: 256 * 1024,
  handshakeLineBytes: 1024,
  // TLS + proof take a few ms on a LAN: a short deadline is what makes idle
  // sockets cheap to shed (docs/threat-model.md).
  handshakeTimeoutMs: 2000,
  idleTimeoutMs: 60_000,
  maxMessagesPerSecond: 200,
  maxBytesPerSecond: 16 * 1024 * 1024,
  maxCallsPerSecond: 50,
  maxConcurrentCalls: 8,
  maxSessions: 1,
  yieldQuietSessionMs: 5000,
  maxPendingHandshakes: 512,
  maxPendingPerSource: 4,
  maxSessionMs: 10 * 60_000,
  maxWriteBacklogBytes: 4 * 1024 * 1024,
});

export function resolveLimits(partial: Partial<ControlLimits> | undefined): ControlLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`control limit ${name} must be a non-negative integer`);
    }
  }
  if (limits.maxLineBytes < 1024) throw new RangeError('control limit maxLineBytes must be at least 1024');
  for (const name of ['maxSessions', 'maxPendingHandshakes', 'maxPendingPerSource'] as const) {
    if (limits[name] < 1) throw new RangeError(`control limit ${name} must be at least 1`);
  }
  return limits;
}

/** Counts events in one-second windows; `add` returns false once over the limit. */
export class RateWindow {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly limit: number) {}

  add(amount = 1, now = Date.now()): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += amount;
    return this.count <= this.limit;
  }
}

/**
 * Largest TCP segment on the control channel, both ways. A path that drops
 * bigger frames without an ICMP (a smaller MTU on a bridge or tunnel: the
 * mtu-black-hole fault) would otherwise stall the first full-size answer;
 * 1200 bytes leave room for VXLAN, GRE, IPsec or PPPoE on a 1500-byte path.
 */
export const CONTROL_MSS = 1200;
