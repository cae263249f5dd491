// Typed face of the native codec (native/frame*.cc): pure functions, no root.
import { native } from '../native.js';
import type { Token } from './token.js';
import { assembleFrame, frameLayout } from './frame-record.js';

export type Layer = 'ethernet' | 'ipv4';
export type UdpChecksumMode = 'compute' | 'zero' | 'wrong';

export interface InnerSpec {
  srcMac: string;
  dstMac: string;
  vlan?: number;
  srcIp: string;
  dstIp: string;
  ttl?: number;
  tos?: number;
  ipId?: number;
  dontFragment?: boolean;
  protocol: 'icmp' | 'udp';
  /** ICMP type, default 8 (echo request). */
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  /** Inner UDP ports, default 49152 -> 7. */
  srcPort?: number;
  dstPort?: number;
}

export interface FrameSpec {
  /** 'ipv4' omits the Ethernet header (for the routed path). Default 'ethernet'. */
  layer?: Layer;
  /** Required with layer 'ethernet'. */
  srcMac?: string;
  dstMac?: string;
  /** 802.1Q VLAN id 0..4095; absent = untagged. */
  vlan?: number;
  srcIp: string;
  dstIp: string;
  ttl?: number;
  tos?: number;
  ipId?: number;
  /** Default true. */
  dontFragment?: boolean;
  /** Required unless `icmp` is given. */
  srcPort?: number;
  dstPort?: number;
  udpChecksum?: UdpChecksumMode;
  /** Plain ICMP at the outer level instead of UDP (type default 8). Excludes ports/vxlan/inner. */
  icmp?: { type?: number; code?: number; id?: number; seq?: number };
  /** VXLAN header (flags default 0x08); requires `inner`. */
  vxlan?: { vni: number; flags?: number };
  inner?: InnerSpec;
  /** Innermost payload, typically encodeToken(...). */
  payload?: Uint8Array;
  /** Zero-pad the innermost payload so the OUTER IPv4 total length is exactly this. */
  padTo?: number;
}

export interface ParseOptions {
  /** UDP destination ports decoded as VXLAN. Default [4789, 8472, 8475]. */
  vxlanPorts?: number[];
  /** 'ipv4': the buffer starts at the IPv4 header (raw IP sockets). */
  layer?: Layer;
}

export interface EthHeader {
  src: string;
  dst: string;
  vlan: number | null;
  etherType: number;
}

export interface Ipv4Header {
  src: string;
  dst: string;
  ttl: number;
  tos: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes. */
  fragmentOffset: number;
  totalLength: number;
  headerLength: number;
  protocol: number;
  checksumOk: boolean;
}

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  length: number;
  checksum: number;
  /** null: zero checksum (none sent), or a quote too short to verify. */
  checksumOk: boolean | null;
}

export interface IcmpHeader {
  type: number;
  code: number;
  /** false also when a quote is too short to verify. */
  checksumOk: boolean;
  /** Echo request/reply only. */
  id: number | null;
  seq: number | null;
  /** Type 3 code 4 (fragmentation needed) only. */
  nextHopMtu: number | null;
  /** Types 3, 11, 12 at the outer level: the packet the error refers to. */
  quoted: QuotedPacket | null;
}

export interface VxlanHeader {
  flags: number;
  vni: number;
  /** I flag set and every reserved bit zero (RFC 7348). */
  valid: boolean;
}

export interface InnerFrame {
  eth: EthHeader | null;
  ipv4: Ipv4Header | null;
  udp: UdpHeader | null;
  icmp: IcmpHeader | null;
}

export interface ParseError {
  /** 'ethernet' | 'vlan' | 'ipv4' | 'udp' | 'icmp' | 'vxlan' | 'inner-ethernet' | 'inner-vlan' | 'inner-ipv4' | 'inner-udp' | 'inner-icmp' */
  layer: string;
  /** Byte offset in the parsed buffer where the problem is. */
  offset: number;
  message: string;
}

export interface ParsedFrame {
  length: number;
  eth: EthHeader | null;
  ipv4: Ipv4Header | null;
  udp: UdpHeader | null;
  icmp: IcmpHeader | null;
  vxlan: VxlanHeader | null;
  inner: InnerFrame | null;
  /** Offset and length of the innermost payload (where a token sits). */
  payloadOffset: number;
  payloadLength: number;
  token: Token | null;
  error: ParseError | null;
}

/**
 * The IPv4 packet quoted in an ICMP error, decoded as far as it goes (Linux
 * quotes up to 576 bytes). `eth` is always null; lengths in the headers may
 * exceed what was quoted, which is not an error here; offsets are relative to
 * the quote.
 */
export type QuotedPacket = ParsedFrame;

export const DEFAULT_VXLAN_PORTS: readonly number[] = [4789, 8472, 8475];

export function buildFrame(spec: FrameSpec): Buffer {
  return native().buildFrame(spec);
}

// One scratch record per thread, made on first use: parseFrame is
// synchronous and the record is consumed before it returns.
let record: Float64Array | undefined;

/**
 * Decodes bytes from the wire; never throws on their content. Native parse
 * into a flat record, objects assembled in JS (the one frame path, shared
 * with capture).
 */
export function parseFrame(buf: Uint8Array, options?: ParseOptions): ParsedFrame {
  const r = (record ??= new Float64Array(frameLayout().parse.size));
  const messages = native().parseFrameInto(buf, r, options);
  return assembleFrame(r, 0, messages ? messages[0] : null, messages ? messages[1] : null);
}
