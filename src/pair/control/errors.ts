// Errors of the control channel. All are CannotRunError (exit 3: the pairing
// could not run), with a `code` so callers can tell a wrong secret from a
// stalled peer without parsing messages.
import { CannotRunError } from '../../errors.js';

export type ControlErrorCode =
  /** TCP connect failed or timed out. */
  | 'connect'
  /** The peer does not hold the same secret (or is not a vxprobe peer at all). */
  | 'auth'
  /** The peer broke the protocol: bad JSON, bad MAC, replay, unknown field, ... */
  | 'protocol'
  /** The peer exceeded a size or rate limit. */
  | 'limit'
  /** The peer stalled (handshake, mid-message, idle) or a call took too long. */
  | 'timeout'
  /** The connection closed, or the peer ended the session and said why. */
  | 'closed'
  /** A handler on the peer failed; `remoteCode` says how. */
  | 'remote';

export class ControlError extends CannotRunError {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ControlError';
  }
}

/** A handler error returned by the peer: `message` is the peer's one-line message. */
export class RemoteCallError extends ControlError {
  constructor(
    readonly remoteCode: string,
    message: string,
  ) {
    super('remote', message);
    this.name = 'RemoteCallError';
  }
}

/**
 * A short printable excerpt of untrusted text or bytes for error messages:
 * control characters and non-ASCII become \xNN / \uNNNN escapes, and only the
 * first `max` characters are kept, so a hostile peer cannot inject lines or
 * terminal escapes into our logs, nor make them large.
 */
export function excerpt(data: string | Buffer, max = 40): string {
  return `"${printable(data, max)}"`;
}

/** Like excerpt() without the quotes: for a peer's one-line messages we show as text. */
export function printable(data: string | Buffer, max = 300): string {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  let out = '';
  for (const ch of text.slice(0, max)) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code < 0x7f && ch !== '\\' && ch !== '"') out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return `${out}${text.length > max ? '…' : ''}`;
}

/** First line of a message, bounded: what we send as a remote error text. */
export function oneLine(message: string, max = 300): string {
  const line = (message.split('\n', 1)[0] ?? '').replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line || 'error';
}
