// The cryptography of the control channel (wire format: see channel.ts).
// Everything is HMAC-SHA256 keyed by the shared secret or the session key;
// labels separate every use, so a MAC made for one purpose (a client proof, a
// server proof, a message in one direction) is never valid for another.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ControlError } from './errors.js';

// v2: the lines below travel inside TLS-PSK (tls.ts); v1 was cleartext.
// v3: `hello` answers with the tables only, `finish` with the complete facts.
export const PROTOCOL_VERSION = 3;
export const NONCE_BYTES = 32;
export const NONCE_HEX = /^[0-9a-f]{64}$/;
export const MAC_HEX = /^[0-9a-f]{64}$/;

export type Role = 'client' | 'server';
/** Channel direction labels (client-to-server, server-to-client; not a probe Direction): a message MAC'd by the client is never valid from the server. */
export type ChannelDirection = 'c2s' | 's2c';

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

function hmac(key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** Proof that `role` holds the secret, bound to both nonces of this handshake. */
export function proof(secret: Buffer, role: Role, clientNonce: Buffer, serverNonce: Buffer): Buffer {
  return hmac(secret, `vxprobe-v${PROTOCOL_VERSION} ${role}-proof\0`, clientNonce, serverNonce);
}

/** The per-session key: fresh for every handshake because both nonces are. */
export function sessionKey(secret: Buffer, clientNonce: Buffer, serverNonce: Buffer): Buffer {
  return hmac(secret, 'vxprobe-session', clientNonce, serverNonce);
}

/** Compares a hex MAC from the peer in constant time. */
export function macEquals(expected: Buffer, receivedHex: string): boolean {
  if (!MAC_HEX.test(receivedHex)) return false;
  const received = Buffer.from(receivedHex, 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

const MAX_DEPTH = 32;

/**
 * Canonical JSON: object keys sorted, no whitespace. Both sides MAC the parsed
 * value re-serialised this way, so the MAC does not depend on how the sender
 * spaced or ordered its JSON. Depth is bounded because this runs on peer data
 * before the MAC is checked.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new ControlError('protocol', `peer sent JSON nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value);
    // undefined, functions, symbols: never produced by JSON.parse; refuse rather than MAC "undefined".
    if (json === undefined) throw new ControlError('protocol', 'value not representable in JSON');
    return json;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k], depth + 1)}`).join(',')}}`;
}

/** MAC of one session message: direction, sequence number and canonical {type, body}. */
export function messageMac(key: Buffer, direction: ChannelDirection, seq: number, type: string, body: unknown): Buffer {
  return hmac(key, `${direction}\0${seq}\0`, canonicalJson({ type, body }));
}
