// Shape of the addon's codec exports, as native/frame.cc defines them.
import type { FrameSpec, ParseOptions } from './frame.js';

/**
 * The field names of each block of the flat frame record (offsets come from
 * the addon, never from here). test/unit/frame-layout.test.ts checks these
 * names against native/frame_record.h both ways.
 */
export const FRAME_LAYOUT_FIELDS = {
  eth: ['present', 'src', 'dst', 'vlan', 'etherType'],
  ipv4: ['present', 'src', 'dst', 'ttl', 'tos', 'id', 'dontFragment', 'moreFragments', 'fragmentOffset', 'totalLength', 'headerLength', 'protocol', 'checksumOk'],
  udp: ['present', 'srcPort', 'dstPort', 'length', 'checksum', 'checksumOk'],
  icmp: ['present', 'type', 'code', 'checksumOk', 'hasEcho', 'id', 'seq', 'hasMtu', 'nextHopMtu', 'hasQuoted'],
  layers: ['eth', 'ipv4', 'udp', 'icmp'],
  vxlan: ['present', 'flags', 'vni', 'valid'],
  payload: ['offset', 'length'],
  token: ['present', 'runId', 'probeId', 'seq'],
  error: ['present', 'layer', 'offset'],
  frame: ['length', 'outer', 'vxlan', 'hasInner', 'inner', 'payload', 'token', 'error'],
  parse: ['frame', 'quoted'],
  capture: ['time', 'outgoing', 'wireLength', 'capturedLength', 'vlan', 'checksumPending', 'parse'],
} as const;

type Fields = typeof FRAME_LAYOUT_FIELDS;
/** Offset of each field within its block, and the block's size, in doubles. */
export type FrameLayout = { readonly [B in keyof Fields]: { readonly [F in Fields[B][number] | 'size']: number } } & {
  /** Names of the parse error layers, indexed by error.layer. */
  readonly errorLayers: readonly string[];
};

/** The probe token's layout (native/frame_codec.h). */
export interface TokenLayout {
  readonly magic: string;
  readonly version: number;
  readonly length: number;
  readonly runIdOffset: number;
  readonly probeIdOffset: number;
  readonly seqOffset: number;
}

export interface CodecBinding {
  /** Serializes a spec; TypeError/RangeError naming the bad field. */
  buildFrame(spec: FrameSpec): Buffer;
  /**
   * Fills `record` (a Float64Array of FRAME_LAYOUT.parse.size) and returns
   * error messages only when there are errors. Never throws on the bytes.
   */
  parseFrameInto(buf: Uint8Array, record: Float64Array, options?: ParseOptions): [string | null, string | null] | undefined;
  /**
   * A probe's tag: the first 8 bytes of HMAC-SHA256(key, "vxprobe-probe\0" ||
   * runId || probeId || seq), big-endian (native/probe_tag.cc). A key of 1..64
   * bytes; TypeError/RangeError naming the bad argument.
   */
  probeTag(key: Uint8Array, runId: number, probeId: number, seq: number): Buffer;
  readonly FRAME_LAYOUT: FrameLayout;
  readonly TOKEN_LAYOUT: TokenLayout;
}
