// Newline-delimited framing with a hard line limit. Bytes are kept only up to
// the limit: a peer that never sends '\n' is cut off at `maxLineBytes`, not
// buffered until memory runs out.
import { ControlError, excerpt } from './errors.js';

const NEWLINE = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private partialBytes = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private maxLineBytes: number) {}

  /** Changes the limit (the handshake uses a small one, the session a larger one). */
  setLimit(maxLineBytes: number): void {
    this.maxLineBytes = maxLineBytes;
    this.checkPartial();
  }

  /** Bytes of an unfinished line held right now: non-zero means the peer stopped mid-message. */
  get pendingBytes(): number {
    return this.partialBytes;
  }

  /** Splits a chunk into complete lines (without '\n'); throws ControlError on a violation. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      if (this.partialBytes + piece.length > this.maxLineBytes) this.tooLong();
      this.parts.push(piece);
      const line = this.parts.length === 1 ? piece : Buffer.concat(this.parts);
      this.parts = [];
      this.partialBytes = 0;
      lines.push(this.decode(line));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.partialBytes += rest.length;
      this.checkPartial();
      // Copy: the socket may reuse its buffer.
      this.parts.push(Buffer.from(rest));
    }
    return lines;
  }

  private checkPartial(): void {
    if (this.partialBytes > this.maxLineBytes) this.tooLong();
  }

  private tooLong(): never {
    this.parts = [];
    throw new ControlError('limit', `peer sent a line longer than ${this.maxLineBytes} bytes`);
  }

  private decode(line: Buffer): string {
    if (line.length === 0) throw new ControlError('protocol', 'peer sent an empty line');
    try {
      return this.decoder.decode(line);
    } catch {
      throw new ControlError('protocol', `peer sent bytes that are not UTF-8 text: ${excerpt(line)}`);
    }
  }
}

/** Parses one line as a JSON object; anything else is a protocol error. */
export function parseObjectLine(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ControlError('protocol', `peer sent a line that is not JSON: ${excerpt(line)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ControlError('protocol', `peer sent JSON that is not an object: ${excerpt(line)}`);
  }
  return value as Record<string, unknown>;
}

/** Serialises one message as a line; refuses to produce a line the peer would reject. */
export function toLine(message: unknown, maxLineBytes: number): string {
  return textLine(JSON.stringify(message), maxLineBytes);
}

/** One line of already serialised JSON text, within the limit. */
export function textLine(json: string, maxLineBytes: number): string {
  const bytes = Buffer.byteLength(json);
  if (bytes > maxLineBytes) {
    throw new ControlError('limit', `message of ${bytes} bytes exceeds the ${maxLineBytes}-byte line limit`);
  }
  return `${json}\n`;
}
