// Probe authenticators: each run has a random probe key, shared only over the
// encrypted control channel; every probe carries, right after its token, an
// 8-byte tag = HMAC-SHA256(probeKey, "vxprobe-probe" | runId | probeId | seq)
// truncated. A sniffer records a frame only when the tag checks, so someone
// who sees a run id (it is in every probe's clear token) still cannot invent
// sightings for probes that never arrived (docs/threat-model.md).
//
// Payload layout (additive; the 20-byte token is unchanged, see
// src/wire/token.ts): token (20 bytes) | tag (8 bytes) | "vxprobe".
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeToken, tokenLayout, type Token } from '../wire/token.js';

export const PROBE_KEY_BYTES = 16;
export const PROBE_TAG_BYTES = 8;
export const PROBE_KEY_HEX = /^[0-9a-f]{32}$/;

export function newProbeKey(): Buffer {
  return randomBytes(PROBE_KEY_BYTES);
}

/**
 * Tags already computed, per run key: the sender's own sniffer checks the tag
 * of every probe it just built as the frame leaves. Bounded per key; a run's
 * key is dropped with the run.
 */
const computed = new WeakMap<Buffer, Map<string, Buffer>>();
const MAX_KEPT_TAGS = 4096;

export function probeTag(key: Buffer, token: Token): Buffer {
  let tags = computed.get(key);
  if (!tags) computed.set(key, (tags = new Map()));
  const id = `${token.runId}/${token.probeId}/${token.seq}`;
  const kept = tags.get(id);
  if (kept) return kept;
  const fields = Buffer.alloc(12);
  fields.writeUInt32BE(token.runId, 0);
  fields.writeUInt32BE(token.probeId, 4);
  fields.writeUInt32BE(token.seq >>> 0, 8);
  const tag = createHmac('sha256', key).update('vxprobe-probe\0').update(fields).digest().subarray(0, PROBE_TAG_BYTES);
  if (tags.size < MAX_KEPT_TAGS) tags.set(id, tag);
  return tag;
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
