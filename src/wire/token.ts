// The probe token: bytes at the start of the innermost payload that make a
// captured frame attributable to one probe of one run (docs/architecture.md,
// "Probe tokens"; docs/frame-path.md). Its layout ("VXPB" | version | 3 zero bytes | u32 runId | u32 probeId |
// u32 seq, big endian) is defined once, in native/frame_codec.h, and read
// from the addon on first use (never at import, so `--help` needs no addon).
// Pairing probes follow the token with an 8-byte authenticator
// (src/pair/probe-auth.ts; docs/threat-model.md).
import { native } from '../native.js';
import type { TokenLayout } from './codec-binding.js';

export interface Token {
  runId: number;
  probeId: number;
  seq: number;
}

let cached: TokenLayout | undefined;

/** The token layout the native parser and the capture fast path use. */
export function tokenLayout(): TokenLayout {
  return (cached ??= native().TOKEN_LAYOUT);
}

const U32_MAX = 0xffffffff;

function checkU32(name: keyof Token, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new RangeError(`token.${name} must be an integer in 0..${U32_MAX}, got ${v}`);
  }
}

/** The token bytes followed by `text` (UTF-8), ready to be a frame payload. */
export function encodeToken(token: Token, text = ''): Buffer {
  checkU32('runId', token.runId);
  checkU32('probeId', token.probeId);
  checkU32('seq', token.seq);
  const T = tokenLayout();
  const tail = Buffer.from(text, 'utf8');
  const buf = Buffer.alloc(T.length + tail.length);
  buf.write(T.magic, 0, 'ascii');
  buf.writeUInt8(T.version, T.magic.length);
  buf.writeUInt32BE(token.runId, T.runIdOffset);
  buf.writeUInt32BE(token.probeId, T.probeIdOffset);
  buf.writeUInt32BE(token.seq, T.seqOffset);
  tail.copy(buf, T.length);
  return buf;
}

/** The token at `offset` in `buf`, or null when there is none (never throws). */
export function decodeToken(buf: Uint8Array, offset = 0): Token | null {
  const T = tokenLayout();
  if (offset < 0 || buf.length - offset < T.length) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset + offset, T.length);
  if (b.toString('ascii', 0, T.magic.length) !== T.magic || b.readUInt8(T.magic.length) !== T.version) return null;
  return { runId: b.readUInt32BE(T.runIdOffset), probeId: b.readUInt32BE(T.probeIdOffset), seq: b.readUInt32BE(T.seqOffset) };
}

/**
 * Writes `seq` into a token that starts at `tokenOffset` of a built frame
 * (ParsedFrame.payloadOffset). Checksums covering the token are NOT updated:
 * build burst frames with udpChecksum 'zero' (allowed by RFC 7348), or use a
 * plain UDP frame and accept checksumOk false.
 */
export function stampSeq(frame: Buffer, tokenOffset: number, seq: number): void {
  frame.writeUInt32BE(seq >>> 0, tokenOffset + tokenLayout().seqOffset);
}
