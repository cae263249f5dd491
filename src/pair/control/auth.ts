// The cryptography of the control channel (wire format: see channel.ts).
// Everything is HMAC-SHA256 keyed by the shared secret or the session key;
// labels separate every use, so a MAC made for one purpose (a client proof, a
// server proof, a message in one direction) is never valid for another.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// v2: the lines below travel inside TLS-PSK (tls.ts); v1 was cleartext.
// v3: `hello` answers with the tables only, `finish` with the complete facts.
// v4: a session message's MAC covers the exact bytes of its JSON text, which
//     is parsed only once the MAC checks (channel.ts).
export const PROTOCOL_VERSION = 4;
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

/**
 * MAC of one session message: its direction and the exact UTF-8 bytes of its
 * JSON text (which holds the sequence number), so the receiver checks the
 * bytes it got before it parses anything.
 */
export function messageMac(key: Buffer, direction: ChannelDirection, text: string): Buffer {
  return hmac(key, `${direction}\0`, text);
}
