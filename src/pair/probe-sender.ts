// Sends probes for one side of a run, over the wire (AF_PACKET on the sniffed
// NIC) or routed (the kernel's own path). A send error never ends the run:
// it becomes evidence.
import type { NextHop } from '../host/next-hop.js';
import { RoutedSender } from '../wire/routed.js';
import { PacketSocket } from '../wire/packet-socket.js';
import type { ProbeSpec } from './plan-types.js';
import { buildProbe, type SendContext } from './probe-frames.js';
import type { RunSniffer } from './run-sniffer.js';

export type SendOutcome = { sent: true } | { sent: false; reason: string };

export class ProbeSender {
  private routed: RoutedSender | null = null;

  /**
   * `wire` sends on a socket of the interface the route to the peer leaves by
   * (another one than the sniffed NIC on an asymmetric host); default: the sniffer's.
   */
  constructor(
    private readonly sniffer: RunSniffer,
    private readonly ctx: SendContext,
    private readonly wire: PacketSocket | null = null,
  ) {}

  /**
   * Reverse probes to the peer along `hop`, the way the kernel routes to it:
   * on the sniffed NIC, or on a socket of the NIC the route leaves by when
   * that is another one (an asymmetric host; see `leavesBy`).
   */
  static along(sniffer: RunSniffer, hop: NextHop, ctx: Omit<SendContext, 'srcIp' | 'srcMac' | 'nextHopMac'>): ProbeSender {
    const wire = hop.ifname === sniffer.ifname ? null : PacketSocket.open(hop.ifname, { capture: false });
    return new ProbeSender(sniffer, { ...ctx, srcIp: hop.srcIp, srcMac: hop.srcMac, nextHopMac: hop.nextHopMac }, wire);
  }

  /** The NIC wire probes leave by when it is not the sniffed one, else null. */
  get leavesBy(): string | null {
    return this.wire?.ifname ?? null;
  }

  async send(spec: ProbeSpec, seq: number): Promise<SendOutcome> {
    const built = buildProbe(spec, seq, this.ctx);
    if (built.path === 'none') return { sent: false, reason: built.reason };
    try {
      if (built.path === 'wire') (this.wire ?? this.sniffer).send(built.frame);
      else await (this.routed ??= RoutedSender.open()).send(built.packet);
      return { sent: true };
    } catch (err) {
      const code = (err as { code?: string }).code;
      // ENOBUFS: the kernel took the frame and the next link dropped it (a veth
      // peer with a smaller MTU does exactly this): a loss on the path, which
      // the receiver's sniffer will show, not a failure to send.
      if (code === 'ENOBUFS') return { sent: true };
      return { sent: false, reason: `could not send: ${(err as Error).message}` };
    }
  }

  close(): void {
    this.routed?.close();
    this.routed = null;
    // Releasing an AF_PACKET socket takes the kernel ~8 ms: off the JS thread
    // (docs/performance.md); the promise never rejects.
    void this.wire?.closeAsync();
  }
}
