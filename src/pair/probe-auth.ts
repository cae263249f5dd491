// Probe authenticators: each run has a random probe key, shared only over the
// encrypted control channel; every probe carries, right after its token, an
// 8-byte tag = HMAC-SHA256(probeKey, "vxprobe-probe" | runId | probeId | seq)
// truncated. A sniffer records a frame only when the tag checks, so someone
// who sees a run id (it is in every probe's clear token) still cannot invent
// sightings for probes that never arrived (docs/threat-model.md).
//
// Payload layout (additive; the 20-byte token is unchanged, see
// src/wire/token.ts): token (20 bytes) | tag (8 bytes) | "vxprobe".
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { native } from '../native.js';
import { encodeToken, tokenLayout, type Token } from '../wire/token.js';

export const PROBE_KEY_BYTES = 16;
export const PROBE_TAG_BYTES = 8;
export const PROBE_KEY_HEX = /^[0-9a-f]{32}$/;

export function newProbeKey(): Buffer {
  return randomBytes(PROBE_KEY_BYTES);
}

/**
 * The tag is computed natively: an agent makes about fifty per pairing in
 * code that runs too rarely to be optimised, where node:crypto's createHmac
 * cost ~20 us each (docs/agent.md, "Budgets"). Same bytes as
 * createHmac('sha256', key).update('vxprobe-probe\0').update(runId|probeId|seq),
 * which the unit tests check.
 */
export function probeTag(key: Buffer, token: Token): Buffer {
  return native().probeTag(key, token.runId, token.probeId, token.seq >>> 0);
}

/** A probe's payload: the token, its tag, and a readable marker. */
export function probePayload(key: Buffer, token: Token): Buffer {
  return Buffer.concat([encodeToken(token), probeTag(key, token), Buffer.from('vxprobe')]);
}

/**
 * Whether `raw` (a captured frame's bytes) holds `token` followed by its valid
 * tag. The token is searched for, not located by layout, so the same check
 * serves plain, VXLAN, routed and ICMP-quoted probes.
 */
export function hasValidTag(key: Buffer, raw: Uint8Array, token: Token): boolean {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const needle = encodeToken(token);
  const expected = probeTag(key, token);
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    const tagAt = at + tokenLayout().length;
    if (tagAt + PROBE_TAG_BYTES > bytes.length) return false;
    if (timingSafeEqual(bytes.subarray(tagAt, tagAt + PROBE_TAG_BYTES), expected)) return true;
  }
  return false;
}
