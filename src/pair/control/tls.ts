// The control channel's transport: TLS 1.2 with a pre-shared key derived from
// the shared secret (docs/threat-model.md, "What crosses the wire").
//
// Why this construction:
// - A standard, reviewed protocol (OpenSSL's TLS) instead of our own cipher.
// - ECDHE-PSK-CHACHA20-POLY1305 (RFC 7905): an AEAD cipher, and an ephemeral
//   ECDH exchange mixed with the PSK, so a recorded session stays unreadable
//   even if the secret leaks later (forward secrecy), and a passive observer
//   gets nothing to test secret guesses against.
// - TLS 1.2 because Node's pskCallback does not negotiate TLS 1.3 PSK.
// - The PSK is HKDF-SHA256(secret) with a purpose label, so the raw secret is
//   never used as a key directly and this key is never valid for anything else.
import { hkdfSync } from 'node:crypto';
import { connect as tlsConnect, createSecureContext, TLSSocket, type SecureContext, type TLSSocketOptions } from 'node:tls';
import type { Socket } from 'node:net';

export const TLS_CIPHERS = 'ECDHE-PSK-CHACHA20-POLY1305';
export const TLS_VERSION = 'TLSv1.2';
/** The identity a client names; a listener accepts no other. */
export const PSK_IDENTITY = 'vxprobe-control-v2';
const HKDF_SALT = 'vxprobe control channel';
const HKDF_INFO = 'tls-psk v2';

/** The TLS pre-shared key for `secret` (32 bytes, HKDF-SHA256). */
export function derivePsk(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, 32));
}

// One context for every connection (both roles use the same settings): making
// one loads OpenSSL's defaults, a cost an agent would pay on every pairing.
let context: SecureContext | undefined;
function sharedContext(): SecureContext {
  context ??= createSecureContext({ ciphers: TLS_CIPHERS, minVersion: TLS_VERSION, maxVersion: TLS_VERSION });
  return context;
}

/** Wraps an accepted TCP socket as the TLS server side; the handshake starts at once. */
export function wrapServerSocket(raw: Socket, psk: Buffer): TLSSocket {
  // pskCallback is honoured by TLSSocket (as by tls.createServer) but missing
  // from @types/node's TLSSocketOptions.
  const options = {
    isServer: true,
    secureContext: sharedContext(),
    pskCallback: (_socket: TLSSocket, identity: string) => (identity === PSK_IDENTITY ? psk : null),
  } as TLSSocketOptions;
  return new TLSSocket(raw, options);
}

/** Opens a TLS-PSK connection; resolves once the TLS handshake is done. Errors are raw (see classifyTlsError). */
export function connectTls(host: string, port: number, psk: Buffer, localAddress?: string): { socket: TLSSocket; ready: Promise<void> } {
  // localAddress is a net.connect option tls.connect passes on; @types/node omits it.
  const socket = tlsConnect({
    host,
    port,
    ...({ localAddress } as object),
    secureContext: sharedContext(),
    // There is no certificate: the PSK authenticates both ends.
    checkServerIdentity: () => undefined,
    pskCallback: () => ({ psk, identity: PSK_IDENTITY }),
  });
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => {
      socket.removeListener('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
  return { socket, ready };
}

/**
 * What a TLS failure means for a user: a bad record MAC / decrypt error in the
 * handshake is a different PSK (another secret); a protocol mismatch is
 * something that does not speak vxprobe's TLS at all.
 */
export function classifyTlsError(err: NodeJS.ErrnoException): 'auth' | 'protocol' | 'other' {
  const code = err.code ?? '';
  if (/BAD_RECORD_MAC|DECRYPT/.test(code)) return 'auth';
  if (code.startsWith('ERR_SSL_')) return 'protocol';
  return 'other';
}
