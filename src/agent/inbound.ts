// Who reached this node, per port, and who should have (docs/agent.md,
// "Expected inbound"). Selection tells every agent exactly which peers are
// meant to probe it; the listener tells it which ones did. A port nobody
// reached for 3 rounds while someone should have is reported once.

export interface InboundStatus {
  port: number;
  /** Expected probers that reached us on this port within the window. */
  reached: string[];
  /** Expected probers that did not. */
  missing: string[];
  /** Peers not expected that reached us anyway (random/domain rotation, manual `pair`). */
  unexpected: string[];
  /** No expected prober reached us for `rounds` intervals. */
  silent: boolean;
}

const ROUNDS = 3;

/** Normalises "::ffff:1.2.3.4" (a dual-stack socket's view of IPv4) to "1.2.3.4". */
export function plainIpv4(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Parses the listener's session line ("pairing with IP: run N, ports P,Q"). */
export function parsePairingLine(line: string): { ip: string; ports: number[] } | null {
  const m = /^pairing with ([0-9a-fA-F:.]+): run \d+, ports ([0-9,]+)/.exec(line);
  if (!m) return null;
  return { ip: plainIpv4(m[1]!), ports: m[2]!.split(',').map(Number).filter((p) => Number.isInteger(p)) };
}

export class InboundTracker {
  /** ip -> port -> last time that peer paired with us on it. */
  private readonly seen = new Map<string, Map<number, number>>();
  private readonly startedAt: number;
  private readonly silentPorts = new Set<number>();

  constructor(
    private readonly intervalMs: number,
    now = Date.now(),
  ) {
    this.startedAt = now;
  }

  note(ip: string, ports: number[], at = Date.now()): void {
    let byPort = this.seen.get(ip);
    if (!byPort) this.seen.set(ip, (byPort = new Map()));
    for (const p of ports) byPort.set(p, at);
  }

  /** Drops peers no longer known (bounded memory under churn). */
  retain(ips: Set<string>): void {
    for (const ip of this.seen.keys()) if (!ips.has(ip)) this.seen.delete(ip);
  }

  /**
   * Status per port. `expected` maps prober name to its IP; `names` maps every
   * known IP to a node name. Returns the ports that just turned silent too.
   */
  status(ports: number[], expected: Map<string, string>, names: Map<string, string>, now = Date.now()): { ports: InboundStatus[]; newlySilent: number[] } {
    const window = ROUNDS * this.intervalMs;
    const newlySilent: number[] = [];
    const out = ports.map((port) => {
      const within = (ip: string) => {
        const at = this.seen.get(ip)?.get(port);
        return at !== undefined && now - at <= window;
      };
      const reached: string[] = [];
      const missing: string[] = [];
      for (const [name, ip] of expected) (within(ip) ? reached : missing).push(name);
      const expectedIps = new Set(expected.values());
      const unexpected = [...this.seen.keys()].filter((ip) => !expectedIps.has(ip) && within(ip)).map((ip) => names.get(ip) ?? ip);
      const silent = expected.size > 0 && reached.length === 0 && now - this.startedAt >= window;
      if (silent && !this.silentPorts.has(port)) newlySilent.push(port);
      if (silent) this.silentPorts.add(port);
      else this.silentPorts.delete(port);
      return { port, reached: reached.sort(), missing: missing.sort(), unexpected: unexpected.sort(), silent };
    });
    return { ports: out, newlySilent };
  }

  /** Distinct peers (expected or not) that reached us on `port` within the window. */
  count(port: number, now = Date.now()): number {
    const window = ROUNDS * this.intervalMs;
    let n = 0;
    for (const byPort of this.seen.values()) {
      const at = byPort.get(port);
      if (at !== undefined && now - at <= window) n++;
    }
    return n;
  }
}
