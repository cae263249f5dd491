// The routed path (docs/architecture.md, "Sending paths"): whole IPv4 packets handed to the kernel
// with IP_HDRINCL, so it routes them, resolves the neighbor and runs
// OUTPUT/POSTROUTING like real VXLAN traffic; and a raw ICMP listener that
// attributes ICMP errors and echo replies to our probes by their token.
// Built on the addon's RawIpSocket (native/raw_ip_socket.cc), so vxprobe
// ships one native module and installs without a compiler (docs/shipping.md).
import { EventEmitter } from 'node:events';
import { CannotRunError } from '../errors.js';
import { native } from '../native.js';
import { parseFrame, type QuotedPacket } from './frame.js';
import type { NativeRawIpSocket } from './raw-ip-binding.js';
import type { Token } from './token.js';

const IPPROTO_ICMP = 1;
// IPPROTO_RAW implies IP_HDRINCL and never receives: a send-only socket.
const IPPROTO_RAW = 255;

function openRaw(protocol: 1 | 255, what: string): NativeRawIpSocket {
  const { RawIpSocket } = native();
  try {
    return new RawIpSocket(protocol);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EPERM' || code === 'EACCES') {
      throw new CannotRunError(`opening a raw IPv4 socket for ${what} not permitted: vxprobe needs root or CAP_NET_RAW`, { cause: err });
    }
    throw new CannotRunError(`cannot open a raw IPv4 socket for ${what}: ${(err as Error).message}`, { cause: err });
  }
}

function ipv4Dst(packet: Buffer): string {
  if (packet.length < 20 || packet[0] === undefined || packet[0] >> 4 !== 4) {
    throw new TypeError('ipv4Packet must start with an IPv4 header (build it with layer: "ipv4")');
  }
  return `${packet[16]}.${packet[17]}.${packet[18]}.${packet[19]}`;
}

export class RoutedSender {
  private closed = false;
  private constructor(private readonly sock: NativeRawIpSocket) {}

  /** Throws CannotRunError without CAP_NET_RAW. */
  static open(): RoutedSender {
    return new RoutedSender(openRaw(IPPROTO_RAW, 'the routed path'));
  }

  /**
   * Sends a whole IPv4 packet to the address in its header; the kernel picks
   * the route and fills the IPv4 checksum (and the id when it is zero).
   * Rejects with the kernel's reason (e.g. "Network is unreachable").
   */
  send(ipv4Packet: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('RoutedSender is closed'));
    const dst = ipv4Dst(ipv4Packet);
    try {
      this.sock.send(ipv4Packet, dst);
    } catch (err) {
      return Promise.reject(new Error(`routed send to ${dst} failed: ${(err as Error).message}`, { cause: err }));
    }
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}

export interface IcmpErrorQuote {
  /** The address that sent the ICMP error: the hop that rejected or dropped. */
  from: string;
  type: number;
  code: number;
  nextHopMtu: number | null;
  quoted: QuotedPacket;
  /** Our probe's token when the quote reaches it. */
  token: Token | null;
  /** Date.now() at receipt. */
  time: number;
}

export interface IcmpEchoReply {
  from: string;
  id: number;
  seq: number;
  token: Token | null;
  time: number;
}

export interface IcmpListenerEvents {
  'error-quote': [IcmpErrorQuote];
  'echo-reply': [IcmpEchoReply];
  error: [Error];
}

/**
 * Receives every ICMP message delivered to this host (network namespace) and
 * reports the ones about our probes. ICMP errors (3 unreachable/prohibited,
 * 11 time exceeded, 12 parameter problem) are reported with the quoted packet,
 * whatever they quote, so callers filter on `token`; echo replies likewise.
 */
export class IcmpListener extends EventEmitter<IcmpListenerEvents> {
  private closed = false;
  private constructor(
    private readonly sock: NativeRawIpSocket,
    private readonly vxlanPorts: number[] | undefined,
  ) {
    super();
    sock.start((err, packets, sources) => {
      if (this.closed) return;
      if (err) {
        this.emit('error', err);
        return;
      }
      packets.forEach((buf, i) => this.onMessage(buf, sources[i] ?? ''));
    });
  }

  /** Throws CannotRunError without CAP_NET_RAW. */
  static open(options: { vxlanPorts?: number[] } = {}): IcmpListener {
    return new IcmpListener(openRaw(IPPROTO_ICMP, 'ICMP feedback'), options.vxlanPorts);
  }

  private onMessage(buf: Buffer, source: string): void {
    const time = Date.now();
    const p = parseFrame(buf, { layer: 'ipv4', vxlanPorts: this.vxlanPorts });
    const icmp = p.icmp;
    if (!icmp) return;
    if (icmp.quoted) {
      this.emit('error-quote', {
        from: source, type: icmp.type, code: icmp.code, nextHopMtu: icmp.nextHopMtu,
        quoted: icmp.quoted, token: icmp.quoted.token, time,
      });
    } else if (icmp.type === 0 && icmp.id !== null && icmp.seq !== null) {
      this.emit('echo-reply', { from: source, id: icmp.id, seq: icmp.seq, token: p.token, time });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}
