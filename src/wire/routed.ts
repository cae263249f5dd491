// The routed path (docs/architecture.md, "Sending paths"): whole IPv4 packets handed to the kernel
// with IP_HDRINCL, so it routes them, resolves the neighbor and runs
// OUTPUT/POSTROUTING like real VXLAN traffic; and a raw ICMP listener that
// attributes ICMP errors and echo replies to our probes by their token.
// Built on the `raw-socket` package (sockets watched by uv_poll, sends queued
// until writable); its errors carry only strerror text, so they are mapped here.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { CannotRunError } from '../errors.js';
import { parseFrame, type QuotedPacket } from './frame.js';
import type { Token } from './token.js';

// The subset of raw-socket we use (the package ships no types).
interface RawSocket {
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (err: Error | undefined) => void): void;
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(opts: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
}

const IPPROTO_ICMP = 1;
// IPPROTO_RAW implies IP_HDRINCL and never receives: a send-only socket.
const IPPROTO_RAW = 255;

let rawModule: RawSocketModule | undefined;
function raw(): RawSocketModule {
  if (!rawModule) {
    try {
      rawModule = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
    } catch (err) {
      throw new CannotRunError(
        `the raw-socket package is not built (${(err as Error).message.split('\n')[0]}): run \`npm rebuild raw-socket\``,
        { cause: err },
      );
    }
  }
  return rawModule;
}

function openRaw(protocol: number, what: string): RawSocket {
  try {
    return raw().createSocket({ protocol, bufferSize: 65536 });
  } catch (err) {
    if (err instanceof CannotRunError) throw err;
    const msg = (err as Error).message;
    if (/not permitted|permission denied/i.test(msg)) {
      throw new CannotRunError(`opening a raw IPv4 socket for ${what} not permitted: vxprobe needs root or CAP_NET_RAW`, { cause: err });
    }
    throw new CannotRunError(`cannot open a raw IPv4 socket for ${what}: ${msg}`, { cause: err });
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
  private constructor(private readonly sock: RawSocket) {
    // A send failure is reported to its own send() promise; nothing to do here.
    sock.on('error', () => undefined);
  }

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
    return new Promise((resolve, reject) => {
      // raw-socket's poll handle does not keep the event loop alive: without a
      // pending timer a short-lived process (`vxprobe send --path routed`)
      // could exit before the socket turned writable. The timer also bounds it.
      const pending = setTimeout(() => reject(new Error(`routed send to ${dst} did not complete within 5000 ms`)), 5000);
      this.sock.send(ipv4Packet, 0, ipv4Packet.length, dst, (err) => {
        clearTimeout(pending);
        if (err) reject(new Error(`routed send to ${dst} failed: ${err.message}`));
        else resolve();
      });
    });
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
    private readonly sock: RawSocket,
    private readonly vxlanPorts: number[] | undefined,
  ) {
    super();
    sock.on('message', (buf, source) => this.onMessage(buf, source));
    sock.on('error', (err) => {
      if (!this.closed) this.emit('error', err ?? new Error('raw ICMP socket failed'));
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
