// One TCP connection speaking lines: framing, incoming rate limits, stall
// timers, write backpressure, and a single terminal state. Whatever goes
// wrong (limit, timeout, close, protocol violation) ends here exactly once
// with one ControlError; nothing is retried, nothing hangs.
import type { Socket } from 'node:net';
import { ControlError } from './errors.js';
import { LineSplitter } from './framing.js';
import { RateWindow, type ControlLimits } from './limits.js';
import { classifyTlsError } from './tls.js';

type Waiter = { resolve: (line: string) => void; reject: (err: ControlError) => void };

export class LineConnection {
  readonly peerAddress: string;
  readonly peerPort: number;
  private readonly splitter: LineSplitter;
  private readonly messages: RateWindow;
  private readonly bytes: RateWindow;
  private queued: string[] = [];
  private waiter: Waiter | undefined;
  private lineHandler: ((line: string) => void) | undefined;
  private peerMayClose = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs = 0;
  private idleBusy: () => boolean = () => false;
  private endError: ControlError | undefined;
  private ended = false;
  private lastHeardAt = Date.now();
  private readonly endListeners: ((err: ControlError | undefined) => void)[] = [];
  private farewellFor: ((err: ControlError) => string | undefined) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly limits: ControlLimits,
  ) {
    this.peerAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.peerPort = socket.remotePort ?? 0;
    this.splitter = new LineSplitter(limits.handshakeLineBytes);
    this.messages = new RateWindow(limits.maxMessagesPerSecond);
    this.bytes = new RateWindow(limits.maxBytesPerSecond);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onPeerClosed());
    socket.on('close', () => this.onPeerClosed());
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(transportError(err)));
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** When the peer last sent anything (ms since the epoch). */
  get quietSince(): number {
    return this.lastHeardAt;
  }

  /** True when the peer sent nothing for `ms`, with no message half-sent and no call running (see setIdleTimeout). */
  isQuiet(ms: number, now = Date.now()): boolean {
    return !this.ended && now - this.lastHeardAt >= ms && this.splitter.pendingBytes === 0 && !this.idleBusy();
  }

  /** The error that ended the connection (undefined for a normal close). */
  get error(): ControlError | undefined {
    return this.endError;
  }

  /** Called once when the connection ends, with the reason (undefined: closed by us on purpose). */
  onEnd(listener: (err: ControlError | undefined) => void): void {
    if (this.ended) listener(this.endError);
    else this.endListeners.push(listener);
  }

  /** Handshake stage: the next line, or a rejection when the connection ends first. */
  nextLine(): Promise<string> {
    const line = this.queued.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.reject(this.endError ?? new ControlError('closed', 'control connection closed'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * Session stage: deliver every following line to `handler`, and raise the
   * line limit. With `peerMayClose`, the peer closing between messages is a
   * normal end (the server's view of a client that is done), not an error.
   */
  deliverLines(handler: (line: string) => void, maxLineBytes: number, peerMayClose = false): void {
    this.lineHandler = handler;
    this.peerMayClose = peerMayClose;
    try {
      this.splitter.setLimit(maxLineBytes);
    } catch (err) {
      this.fail(err as ControlError);
      return;
    }
    for (const line of this.queued.splice(0)) {
      if (this.ended) return;
      handler(line);
    }
  }

  /** Ends the session if the peer sends nothing for `ms` while `busy()` is false (0 disables). */
  setIdleTimeout(ms: number, busy: () => boolean = () => false): void {
    this.idleMs = ms;
    this.idleBusy = busy;
    this.armIdle();
  }

  /** How to tell the peer why we end the session (an authenticated abort line), for errors found here. */
  setFarewell(make: (err: ControlError) => string | undefined): void {
    this.farewellFor = make;
  }

  write(line: string): void {
    if (this.ended) return;
    if (this.socket.writableLength > this.limits.maxWriteBacklogBytes) {
      this.fail(new ControlError('limit', `peer stopped reading: more than ${this.limits.maxWriteBacklogBytes} bytes unsent`));
      return;
    }
    this.socket.write(line);
  }

  /**
   * Ends the connection. With an error, `farewell` (a last line telling the
   * peer why) is written first when given. Idempotent: the first reason wins.
   */
  fail(err: ControlError | undefined, farewell?: string): void {
    if (this.ended) return;
    if (farewell === undefined && err && err.code !== 'closed' && this.farewellFor) farewell = this.farewellFor(err);
    this.ended = true;
    this.endError = err;
    clearTimeout(this.idleTimer);
    this.queued = [];
    this.lineHandler = undefined;
    if (farewell !== undefined && this.socket.writable) this.socket.write(farewell);
    this.socket.end();
    // A peer that never reads would keep the socket half-open: destroy soon after.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(err ?? new ControlError('closed', 'control connection closed'));
    for (const listener of this.endListeners.splice(0)) listener(err);
  }

  /** Ends without error (a normal close by this side). */
  close(): void {
    this.fail(undefined);
  }

  private onPeerClosed(): void {
    if (this.splitter.pendingBytes > 0) {
      this.fail(new ControlError('closed', 'peer closed the connection in the middle of a message'));
    } else if (this.peerMayClose) {
      this.fail(undefined);
    } else {
      this.fail(new ControlError('closed', 'peer closed the connection'));
    }
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.lastHeardAt = Date.now();
    if (!this.bytes.add(chunk.length)) {
      this.fail(new ControlError('limit', `peer sent more than ${this.limits.maxBytesPerSecond} bytes per second`));
      return;
    }
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch (err) {
      this.fail(err as ControlError);
      return;
    }
    if (lines.length > 0 || this.splitter.pendingBytes > 0) this.armIdle();
    for (const line of lines) {
      if (this.ended) return;
      if (!this.messages.add()) {
        this.fail(new ControlError('limit', `peer sent more than ${this.limits.maxMessagesPerSecond} messages per second`));
        return;
      }
      if (this.lineHandler) this.lineHandler(line);
      else if (this.waiter) {
        const waiter = this.waiter;
        this.waiter = undefined;
        waiter.resolve(line);
      } else if (this.queued.length < 4) this.queued.push(line);
      else this.fail(new ControlError('protocol', 'peer sent messages out of turn during the handshake'));
    }
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.idleMs <= 0 || this.ended) return;
    this.idleTimer = setTimeout(() => this.onIdle(), this.idleMs);
    this.idleTimer.unref();
  }

  private onIdle(): void {
    if (this.splitter.pendingBytes > 0) {
      this.fail(new ControlError('timeout', `peer stalled in the middle of a message for ${this.idleMs} ms`));
    } else if (this.idleBusy()) {
      this.armIdle();
    } else {
      this.fail(new ControlError('timeout', `peer idle for ${this.idleMs} ms; session ended`));
    }
  }
}

/** A socket error as a ControlError: a failed TLS handshake is named for what it means (tls.ts). */
function transportError(err: NodeJS.ErrnoException): ControlError {
  const kind = classifyTlsError(err);
  if (kind === 'auth') {
    return new ControlError('auth', `peer failed authentication: different secret? (TLS handshake failed: ${err.code}; VXPROBE_SECRET or --secret-file must be the same on both nodes)`, { cause: err });
  }
  if (kind === 'protocol') return new ControlError('protocol', `peer does not speak the vxprobe v2 control channel (TLS: ${err.code})`, { cause: err });
  return new ControlError('closed', `control connection failed: ${err.code ?? err.message}`, { cause: err });
}

/** "::ffff:10.0.0.2" -> "10.0.0.2": probes go to the IPv4 address the peer really has. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
