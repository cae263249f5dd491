// Where sendBurst stamps the sequence of a built probe frame and which
// checksum it must keep valid: the token's seq field, and the innermost L4
// checksum (an outer UDP checksum stays valid on its own, see packet_burst.cc).
import { parseFrame, type ParsedFrame, type ParseOptions } from './frame.js';
import { tokenLayout } from './token.js';
import type { BurstChecksum } from './socket-binding.js';

export interface BurstPlan {
  seqOffset: number;
  checksum?: BurstChecksum;
}

/** The plan for a frame that carries a token; null when it carries none. */
export function burstPlan(frame: Buffer, options?: ParseOptions): BurstPlan | null {
  const parsed: ParsedFrame = parseFrame(frame, options);
  if (!parsed.token || parsed.error) return null;
  const seqOffset = parsed.payloadOffset + tokenLayout().seqOffset;
  // UDP and ICMP headers are both 8 bytes, right before the payload.
  const l4 = parsed.payloadOffset - 8;
  const innermost = parsed.inner ?? parsed;
  if (innermost.udp) return { seqOffset, checksum: { offset: l4 + 6, start: l4, udp: true } };
  if (innermost.icmp) return { seqOffset, checksum: { offset: l4 + 2, start: l4, udp: false } };
  return { seqOffset };
}
