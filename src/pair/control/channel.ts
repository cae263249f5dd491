// The vxprobe control channel (docs/architecture.md, "The control channel"; docs/threat-model.md): wire format and the
// authenticated message envelope.
//
// Transport: TCP (default port 7473) carrying TLS 1.2 with a pre-shared key
// derived from the secret (tls.ts); everything below travels inside TLS.
// Inside: one JSON object per line, UTF-8, '\n' terminated, no empty lines.
// Lines are limited to 1024 bytes during the handshake and to maxLineBytes
// (default 256 KiB) after it; a longer line ends the session. Every object is
// checked against a strict schema: exact keys, no extras, bounded strings,
// ranged integers.
//
// Handshake (lines inside TLS; Nc, Ns = 32 random bytes as 64 lowercase hex chars):
//   C -> S  {"type":"hello","v":2,"nonce":Nc}
//   S -> C  {"type":"challenge","v":2,"nonce":Ns}
//   C -> S  {"type":"proof","mac":hex(HMAC(secret, "vxprobe-v2 client-proof\0" || Nc || Ns))}
//   S -> C  {"type":"welcome","mac":hex(HMAC(secret, "vxprobe-v2 server-proof\0" || Nc || Ns))}
//   either  {"type":"reject","code":"auth"|"version"|"busy"|"protocol","reason":"..."} instead, then close
// (nonces are the raw 32 bytes inside the HMAC). The client proves first: the
// listener is the exposed end, so a scanner without the secret only ever gets
// a random nonce from it, never a MAC it could use for offline guessing. Both
// proofs cover both fresh nonces and carry different role labels, so neither
// can be replayed from another session nor reflected back. MACs are compared
// with crypto.timingSafeEqual.
//
// Session: key K = HMAC(secret, "vxprobe-session" || Nc || Ns). Every message:
//   {"mac":"<hex(HMAC(K, D || "\0" || M))>","msg":M}   with M = {"seq":N,"type":T,"body":B}
// exactly so: the line starts with {"mac":" and 64 hex digits, then ","msg":,
// and M is the rest of the line up to its closing }. The MAC covers M's exact
// bytes, so the receiver checks it before parsing anything, and the MAC does
// not depend on re-serialising what was parsed. D = "c2s" from the client,
// "s2c" from the server; N starts at 1 in each direction and increases by
// exactly one. A message with a bad MAC, a seq other than the next one
// (replayed, reordered, dropped), an unknown type or a body not matching its
// schema ends the session with a one-line error; the detecting side sends
// {"type":"abort"} with the reason (authenticated) first.
//
// Types and bodies:
//   C -> S  call   {"id":1..2^31-1,"method":"name","params":<checked by the method's schema>}
//   S -> C  result {"id":id,"result":<checked by the method's result schema on the client>}
//   S -> C  error  {"id":id,"error":{"code":"handler-error"|"rate-limited"|"busy"|...,"message":"one line"}}
//   either  abort  {"reason":"one line"}
import { MAC_HEX, macEquals, messageMac, type ChannelDirection } from './auth.js';
import type { LineConnection } from './connection.js';
import { ControlError, excerpt, oneLine, printable } from './errors.js';
import { parseObjectLine, textLine } from './framing.js';
import { int, object, string, SchemaError, type Schema } from './schema.js';

/** Passes any JSON value: for params/results, which the method's own schema checks later. */
const anyJson: Schema<unknown> = { describe: 'JSON value', check: (value) => value };

const callId = int({ min: 1, max: 2 ** 31 - 1 });
export const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const ERROR_CODE = /^[a-z][a-z0-9-]{0,31}$/;

export const bodySchemas = {
  call: object({ id: callId, method: string({ max: 64, pattern: METHOD_NAME }), params: anyJson }),
  result: object({ id: callId, result: anyJson }),
  error: object({
    id: callId,
    error: object({ code: string({ max: 32, pattern: ERROR_CODE }), message: string({ max: 300 }) }),
  }),
  abort: object({ reason: string({ max: 300 }) }),
} as const;

export type MessageType = keyof typeof bodySchemas;
export type Body<T extends MessageType> = ReturnType<(typeof bodySchemas)[T]['check']>;
export type Incoming =
  | { type: 'call'; body: Body<'call'> }
  | { type: 'result'; body: Body<'result'> }
  | { type: 'error'; body: Body<'error'> };

const envelope = object({
  seq: int({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  type: string({ max: 32 }),
  body: anyJson,
});

/** A sealed line: SEALED_HEAD, the MAC's 64 hex digits, SEALED_MID, the message text, '}'. */
const SEALED_HEAD = '{"mac":"';
const SEALED_MID = '","msg":';
const TEXT_AT = SEALED_HEAD.length + 64 + SEALED_MID.length;

const ACCEPTS: Record<ChannelDirection, readonly MessageType[]> = {
  // What each side may receive: the server gets calls, the client gets answers.
  c2s: ['call', 'abort'],
  s2c: ['result', 'error', 'abort'],
};

export class SecureChannel {
  private sendSeq = 0;
  private recvSeq = 0;
  private readonly sendDir: ChannelDirection;
  private readonly recvDir: ChannelDirection;

  constructor(
    readonly conn: LineConnection,
    private readonly key: Buffer,
    role: 'client' | 'server',
    private readonly maxLineBytes: number,
    onMessage: (message: Incoming) => void,
  ) {
    this.sendDir = role === 'client' ? 'c2s' : 's2c';
    this.recvDir = role === 'client' ? 's2c' : 'c2s';
    conn.setFarewell((err) => this.farewell(err));
    conn.deliverLines((line) => {
      let message: Incoming | undefined;
      try {
        message = this.open(line);
      } catch (err) {
        this.abort(err instanceof ControlError ? err : new ControlError('protocol', String(err)));
        return;
      }
      if (message) onMessage(message);
    }, maxLineBytes, role === 'server');
  }

  /** Sends one authenticated message; a message too large for a line is an error to the caller. */
  send<T extends MessageType>(type: T, body: Body<T>): void {
    const line = textLine(this.seal(type, body), this.maxLineBytes);
    this.sendSeq += 1;
    this.conn.write(line);
  }

  /** Ends the session, telling the peer why in an authenticated abort message. */
  abort(err: ControlError): void {
    this.conn.fail(err);
  }

  private farewell(err: ControlError): string | undefined {
    try {
      const line = textLine(this.seal('abort', { reason: oneLine(err.message) }), this.maxLineBytes);
      this.sendSeq += 1;
      return line;
    } catch {
      return undefined;
    }
  }

  /** The sealed line's text (without its newline). */
  private seal<T extends MessageType>(type: T, body: Body<T>): string {
    const text = JSON.stringify({ seq: this.sendSeq + 1, type, body });
    return `${SEALED_HEAD}${messageMac(this.key, this.sendDir, text).toString('hex')}${SEALED_MID}${text}}`;
  }

  /** Verifies one line; returns the message, or undefined when the peer aborted (connection ended). */
  private open(line: string): Incoming | undefined {
    if (!line.startsWith(SEALED_HEAD)) {
      // Only a listener's reject comes unsealed (it may refuse before a session key exists).
      const raw = parseObjectLine(line);
      if (raw.type === 'reject') {
        const reason = typeof raw.reason === 'string' ? raw.reason : '';
        throw new ControlError('auth', `peer rejected the session: ${excerpt(reason, 120)}`);
      }
      throw new ControlError('protocol', `peer sent a line that is not a sealed message: ${excerpt(line)}`);
    }
    const macHex = line.slice(SEALED_HEAD.length, SEALED_HEAD.length + 64);
    if (!MAC_HEX.test(macHex) || line.slice(SEALED_HEAD.length + 64, TEXT_AT) !== SEALED_MID || !line.endsWith('}') || line.length < TEXT_AT + 2) {
      throw new ControlError('protocol', `peer sent a malformed sealed line: ${excerpt(line)}`);
    }
    const text = line.slice(TEXT_AT, -1);
    const expectedSeq = this.recvSeq + 1;
    // The MAC before anything is parsed: a forged or altered message is reported as such.
    if (!macEquals(messageMac(this.key, this.recvDir, text), macHex)) {
      throw new ControlError('protocol', `peer message seq ${expectedSeq} failed its MAC check (tampered or forged)`);
    }
    let env: ReturnType<typeof envelope.check>;
    try {
      env = envelope.check(parseObjectLine(text));
    } catch (err) {
      throw err instanceof ControlError ? err : this.badMessage('envelope', err);
    }
    if (env.seq < expectedSeq) {
      throw new ControlError('protocol', `peer replayed message seq ${env.seq} (expected seq ${expectedSeq})`);
    }
    if (env.seq > expectedSeq) {
      throw new ControlError('protocol', `peer sent message seq ${env.seq} out of order (expected seq ${expectedSeq})`);
    }
    this.recvSeq = expectedSeq;
    const type = env.type as MessageType;
    if (!Object.hasOwn(bodySchemas, env.type) || !ACCEPTS[this.recvDir].includes(type)) {
      throw new ControlError('protocol', `peer sent unknown message type ${excerpt(env.type, 32)}`);
    }
    let body: unknown;
    try {
      body = bodySchemas[type].check(env.body, 'body');
    } catch (err) {
      throw this.badMessage(type, err);
    }
    if (type === 'abort') {
      const reason = (body as Body<'abort'>).reason;
      this.conn.fail(new ControlError('closed', `peer ended the session: ${printable(reason, 200)}`));
      return undefined;
    }
    return { type, body } as Incoming;
  }

  private badMessage(what: string, err: unknown): ControlError {
    const detail = err instanceof SchemaError ? err.message : oneLine(String(err));
    return new ControlError('protocol', `peer sent a bad ${what} message: ${detail}`);
  }
}
