// Who may hold a connection that has not proved the secret yet. An
// unauthenticated peer costs us a socket and a TLS state until its deadline,
// so (docs/threat-model.md, "Who can reach the listener"):
// - each source (an IPv4 address, an IPv6 /64) holds at most a few at once;
// - there are many slots, and when all are taken the OLDEST pending one is
//   dropped for the newcomer, so a real pairing (which authenticates in a few
//   milliseconds) always gets a turn, however many idle sockets a jammer holds.
import { isIPv6 } from 'node:net';

export type AdmitDecision = { admitted: true; evicted?: Pending } | { admitted: false; reason: 'per-source cap' };

export interface Pending {
  readonly source: string;
  /** Ends the pending connection (eviction). */
  drop(): void;
}

/** The unit a cap applies to: the address itself for IPv4, its /64 for IPv6 (one host holds a whole /64). */
export function sourceKey(address: string): string {
  if (!isIPv6(address)) return address;
  const full = expandIPv6(address);
  return full ? `${full.slice(0, 4).join(':')}::/64` : address;
}

function expandIPv6(address: string): string[] | null {
  const [head, tail] = address.split('::', 2) as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  if (tail === undefined) return left.length === 8 ? left : null;
  const fill = 8 - left.length - right.length;
  return fill < 0 ? null : [...left, ...Array<string>(fill).fill('0'), ...right];
}

export class Admission {
  private readonly bySource = new Map<string, number>();
  /** Insertion order = age: the first entry is the oldest pending connection. */
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly maxPending: number,
    private readonly maxPerSource: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** A new connection from `address`; it counts until `settle` is called for it. */
  admit(entry: Pending): AdmitDecision {
    const count = this.bySource.get(entry.source) ?? 0;
    if (count >= this.maxPerSource) return { admitted: false, reason: 'per-source cap' };
    let evicted: Pending | undefined;
    if (this.pending.size >= this.maxPending) {
      evicted = this.pending.values().next().value as Pending | undefined;
      if (evicted) this.settle(evicted);
    }
    this.pending.add(entry);
    this.bySource.set(entry.source, count + 1);
    return evicted ? { admitted: true, evicted } : { admitted: true };
  }

  /** The connection authenticated or ended: it no longer counts. Idempotent. */
  settle(entry: Pending): void {
    if (!this.pending.delete(entry)) return;
    const count = (this.bySource.get(entry.source) ?? 1) - 1;
    if (count <= 0) this.bySource.delete(entry.source);
    else this.bySource.set(entry.source, count);
  }
}
