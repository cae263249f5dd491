// Both halves of the challenge-response handshake (wire format: channel.ts).
// Each returns the session key, or throws one ControlError after telling the
// peer (when it is worth telling) why with a `reject` line.
import { NONCE_HEX, MAC_HEX, PROTOCOL_VERSION, macEquals, newNonce, proof, sessionKey } from './auth.js';
import type { LineConnection } from './connection.js';
import { ControlError, excerpt, printable } from './errors.js';
import { parseObjectLine, toLine } from './framing.js';
import { enumOf, int, literal, object, string, SchemaError, type Schema } from './schema.js';

const version = int({ min: 1, max: 65535 });
const nonce = string({ max: 64, pattern: NONCE_HEX });
const mac = string({ max: 64, pattern: MAC_HEX });
export const REJECT_CODES = ['auth', 'version', 'busy', 'protocol'] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

const hello = object({ type: literal('hello'), v: version, nonce });
const challenge = object({ type: literal('challenge'), v: version, nonce });
const proofMsg = object({ type: literal('proof'), mac });
const welcome = object({ type: literal('welcome'), mac });
const reject = object({ type: literal('reject'), code: enumOf(REJECT_CODES), reason: string({ max: 300 }) });

export const AUTH_FAILED = 'peer failed authentication: different secret?';
const SAME_SECRET_HINT = 'VXPROBE_SECRET or --secret-file must be the same on both nodes';

/** Runs `step` against the handshake deadline; a stall becomes a clear timeout. */
export async function withHandshakeDeadline<T>(conn: LineConnection, timeoutMs: number, step: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new ControlError('timeout', `peer stalled during handshake after ${timeoutMs} ms`);
      conn.fail(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([step(), deadline]);
  } catch (err) {
    throw handshakeError(conn, err);
  } finally {
    clearTimeout(timer);
  }
}

/** A connection that closes mid-handshake says so, instead of just "closed". */
function handshakeError(conn: LineConnection, err: unknown): ControlError {
  if (err instanceof ControlError) {
    if (err.code === 'closed' && !err.message.includes('handshake') && !err.message.startsWith('peer is busy')) {
      return new ControlError('closed', `${err.message} during the handshake`);
    }
    return err;
  }
  return new ControlError('protocol', String(err));
}

/** Reads the next handshake line and checks it, also recognising a `reject` from the peer. */
async function expect<T>(conn: LineConnection, schema: Schema<T>, what: string): Promise<T> {
  const line = await conn.nextLine();
  let value: Record<string, unknown>;
  try {
    value = parseObjectLine(line);
  } catch {
    throw new ControlError('protocol', `peer is not a vxprobe control endpoint: it sent ${excerpt(line)}`);
  }
  if (value.type === 'reject') {
    let r: ReturnType<typeof reject.check>;
    try {
      r = reject.check(value);
    } catch (err) {
      throw new ControlError('protocol', `peer sent a bad reject message: ${err instanceof Error ? err.message : ''}`);
    }
    if (r.code === 'auth') throw new ControlError('auth', `${AUTH_FAILED} (the peer rejected our proof; ${SAME_SECRET_HINT})`);
    if (r.code === 'busy') throw new ControlError('closed', `peer is busy: ${printable(r.reason, 120)}`);
    throw new ControlError('protocol', `peer rejected the handshake: ${printable(r.reason, 120)}`);
  }
  try {
    return schema.check(value);
  } catch (err) {
    const detail = err instanceof SchemaError ? err.message : String(err);
    throw new ControlError('protocol', `peer sent a bad ${what} message: ${detail}`);
  }
}

function sendReject(conn: LineConnection, code: RejectCode, reason: string, err: ControlError): never {
  conn.fail(err, toLine({ type: 'reject', code, reason }, 1024));
  throw err;
}

export interface HandshakeResult {
  key: Buffer;
}

/**
 * Server side. `admit` is asked after the peer proved the secret; it returns
 * false when no session slot is free (the peer is told it is busy).
 */
export async function serverHandshake(
  conn: LineConnection,
  secret: Buffer,
  timeoutMs: number,
  admit: () => boolean,
): Promise<HandshakeResult> {
  return withHandshakeDeadline(conn, timeoutMs, async () => {
    const h = await expect(conn, hello, 'hello').catch((err: ControlError) => {
      if (err.code === 'protocol') sendReject(conn, 'protocol', 'expected a vxprobe hello', err);
      throw err;
    });
    if (h.v !== PROTOCOL_VERSION) {
      sendReject(
        conn,
        'version',
        `this listener speaks control protocol v${PROTOCOL_VERSION}`,
        new ControlError('protocol', `peer speaks control protocol v${h.v}, we speak v${PROTOCOL_VERSION}: run the same vxprobe version on both nodes`),
      );
    }
    const clientNonce = Buffer.from(h.nonce, 'hex');
    const serverNonce = newNonce();
    conn.write(toLine({ type: 'challenge', v: PROTOCOL_VERSION, nonce: serverNonce.toString('hex') }, 1024));
    const p = await expect(conn, proofMsg, 'proof');
    if (!macEquals(proof(secret, 'client', clientNonce, serverNonce), p.mac)) {
      sendReject(conn, 'auth', 'authentication failed', new ControlError('auth', `${AUTH_FAILED} (${SAME_SECRET_HINT})`));
    }
    if (!admit()) {
      sendReject(conn, 'busy', 'the listener serves as many pairing sessions as it may', new ControlError('closed', 'rejected an authenticated peer: every session slot is in use'));
    }
    conn.write(toLine({ type: 'welcome', mac: proof(secret, 'server', clientNonce, serverNonce).toString('hex') }, 1024));
    return { key: sessionKey(secret, clientNonce, serverNonce) };
  });
}

/** Client side: proves first, then checks the server's proof. */
export async function clientHandshake(conn: LineConnection, secret: Buffer, timeoutMs: number): Promise<HandshakeResult> {
  return withHandshakeDeadline(conn, timeoutMs, async () => {
    const clientNonce = newNonce();
    conn.write(toLine({ type: 'hello', v: PROTOCOL_VERSION, nonce: clientNonce.toString('hex') }, 1024));
    const c = await expect(conn, challenge, 'challenge');
    if (c.v !== PROTOCOL_VERSION) {
      const err = new ControlError('protocol', `peer speaks control protocol v${c.v}, we speak v${PROTOCOL_VERSION}: run the same vxprobe version on both nodes`);
      conn.fail(err);
      throw err;
    }
    const serverNonce = Buffer.from(c.nonce, 'hex');
    conn.write(toLine({ type: 'proof', mac: proof(secret, 'client', clientNonce, serverNonce).toString('hex') }, 1024));
    const w = await expect(conn, welcome, 'welcome');
    if (!macEquals(proof(secret, 'server', clientNonce, serverNonce), w.mac)) {
      sendReject(conn, 'auth', 'authentication failed', new ControlError('auth', `${AUTH_FAILED} (the peer's proof did not match; ${SAME_SECRET_HINT})`));
    }
    return { key: sessionKey(secret, clientNonce, serverNonce) };
  });
}
