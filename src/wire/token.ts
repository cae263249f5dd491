// The probe token: 20 bytes at the start of the innermost payload that make a
// captured frame attributable to one probe of one run (docs/threat-model.md).
// Layout (big-endian): "VXPB" | u8 version=1 | 3 reserved zero bytes |
// u32 runId | u32 probeId | u32 seq. The native parser recognises the same layout.
// Pairing probes follow the token with an 8-byte authenticator (src/pair/probe-auth.ts).
export interface Token {
  runId: number;
  probeId: number;
  seq: number;
}

export const TOKEN_LENGTH = 20;
/** Where seq sits inside the token, so a burst sender can stamp it in place. */
export const TOKEN_SEQ_OFFSET = 16;
export const TOKEN_MAGIC = 'VXPB';
export const TOKEN_VERSION = 1;

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
  const tail = Buffer.from(text, 'utf8');
  const buf = Buffer.alloc(TOKEN_LENGTH + tail.length);
  buf.write(TOKEN_MAGIC, 0, 'ascii');
  buf.writeUInt8(TOKEN_VERSION, 4);
  buf.writeUInt32BE(token.runId, 8);
  buf.writeUInt32BE(token.probeId, 12);
  buf.writeUInt32BE(token.seq, TOKEN_SEQ_OFFSET);
  tail.copy(buf, TOKEN_LENGTH);
  return buf;
}

/** The token at `offset` in `buf`, or null when there is none (never throws). */
export function decodeToken(buf: Uint8Array, offset = 0): Token | null {
  if (offset < 0 || buf.length - offset < TOKEN_LENGTH) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset + offset, TOKEN_LENGTH);
  if (b.toString('ascii', 0, 4) !== TOKEN_MAGIC || b.readUInt8(4) !== TOKEN_VERSION) return null;
  return { runId: b.readUInt32BE(8), probeId: b.readUInt32BE(12), seq: b.readUInt32BE(TOKEN_SEQ_OFFSET) };
}

/**
 * Writes `seq` into a token that starts at `tokenOffset` of a built frame
 * (ParsedFrame.payloadOffset). Checksums covering the token are NOT updated:
 * build burst frames with udpChecksum 'zero' (allowed by RFC 7348), or use a
 * plain UDP frame and accept checksumOk false.
 */
export function stampSeq(frame: Buffer, tokenOffset: number, seq: number): void {
  frame.writeUInt32BE(seq >>> 0, tokenOffset + TOKEN_SEQ_OFFSET);
}
