// The listener's side of the control channel: accepts connections, runs the
// handshake, then serves calls of one authenticated peer per session. A bad
// session ends alone; the server keeps serving the next one.
import { createServer, type Server, type Socket } from 'node:net';
import { Admission, sourceKey, type Pending } from './admission.js';
import { SecureChannel, ERROR_CODE, type Body, type Incoming } from './channel.js';
import { LineConnection, normalizeAddress } from './connection.js';
import { ControlError, oneLine } from './errors.js';
import { serverHandshake } from './handshake.js';
import { CONTROL_MSS, DEFAULT_CONTROL_PORT, RateWindow, resolveLimits, type ControlLimits } from './limits.js';
import type { ErasedHandler, Handlers, Session } from './rpc.js';
import { SchemaError } from './schema.js';
import { derivePsk, wrapServerSocket } from './tls.js';
import { native } from '../../native.js';

export interface ControlServerOptions {
  /** Default 7473; 0 picks a free port (see `server.port`). */
  port?: number;
  /** Address to bind; default all addresses (the pairing listener passes its NIC's address). */
  host?: string;
  secret: Buffer;
  handlers: Handlers;
  /** End after the first authenticated session ends (failed handshakes do not count). */
  once?: boolean;
  limits?: Partial<ControlLimits>;
  /** An authenticated session began. */
  onSession?: (session: Session) => void;
  /** A connection ended: `error` is undefined for a clean close; `session` is set when it had authenticated. */
  onSessionEnd?: (info: SessionEnd) => void;
  /**
   * A connection that never authenticated was refused or ended (`reason` is a
   * short category: "per-source cap", "evicted", "timeout", "auth", ...).
   * Called once per connection: summarise, do not log each (reject-log.ts).
   */
  onReject?: (source: string, reason: string) => void;
}

export interface SessionEnd {
  peerAddress: string;
  peerPort: number;
  session: Session | undefined;
  error: ControlError | undefined;
}

export class ControlServer {
  /** Resolves when the server has stopped: after close(), or in `once` mode after the first session. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly connections = new Set<LineConnection>();
  private readonly sessionsByPeer = new Map<string, LineConnection>();
  private readonly admission: Admission;
  private readonly psk: Buffer;
  private activeSessions = 0;
  private nextSessionId = 1;
  private closing = false;

  private constructor(
    private readonly server: Server,
    private readonly opts: ControlServerOptions,
    private readonly limits: ControlLimits,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.admission = new Admission(limits.maxPendingHandshakes, limits.maxPendingPerSource);
    this.psk = derivePsk(opts.secret);
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Starts listening; rejects with ControlError('connect') when the port cannot be bound. */
  static async listen(opts: ControlServerOptions): Promise<ControlServer> {
    if (!Buffer.isBuffer(opts.secret) || opts.secret.length === 0) throw new TypeError('secret must be a non-empty Buffer');
    for (const [name, handler] of Object.entries(opts.handlers)) {
      if (typeof handler.handle !== 'function') throw new TypeError(`handler ${name} has no handle function`);
    }
    const limits = resolveLimits(opts.limits);
    const server = createServer({ pauseOnConnect: false });
    const port = opts.port ?? DEFAULT_CONTROL_PORT;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const where = `${opts.host ?? '*'}:${port}`;
        const hint = err.code === 'EADDRINUSE' ? ' (port in use: another vxprobe listen?)' : '';
        reject(new ControlError('connect', `cannot listen on ${where}: ${err.code ?? err.message}${hint}`, { cause: err }));
      });
      server.listen({ port, host: opts.host }, () => resolve());
    });
    // Errors after listening (EMFILE on accept) must not crash the listener.
    server.on('error', () => {});
    clampSegments(server);
    return new ControlServer(server, opts, limits);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  get host(): string {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.address : '';
  }

  /** Stops listening and ends every session. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    for (const conn of this.connections) conn.fail(new ControlError('closed', 'listener shutting down'));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.resolveDone();
  }

  private accept(raw: Socket): void {
    if (this.closing) {
      raw.destroy();
      return;
    }
    const source = sourceKey(normalizeAddress(raw.remoteAddress ?? ''));
    let conn: LineConnection | undefined;
    const pending: Pending = {
      source,
      drop: () => {
        if (conn) conn.fail(new ControlError('timeout', 'dropped before authenticating: every handshake slot was taken (oldest first)'));
        else raw.destroy();
      },
    };
    const decision = this.admission.admit(pending);
    if (!decision.admitted) {
      raw.destroy();
      this.opts.onReject?.(source, decision.reason);
      return;
    }
    if (decision.evicted) decision.evicted.drop();
    const socket = wrapServerSocket(raw, this.psk);
    conn = new LineConnection(socket, this.limits);
    this.connections.add(conn);
    let session: Session | undefined;
    // Counted from admission (not from startSession) so no ordering of events can leak a slot.
    let admitted = false;
    const thisConn = conn;
    conn.onEnd((error) => {
      this.connections.delete(thisConn);
      this.admission.settle(pending);
      this.opts.onSessionEnd?.({ peerAddress: thisConn.peerAddress, peerPort: thisConn.peerPort, session, error });
      if (!admitted) this.opts.onReject?.(source, rejectReason(error));
      if (admitted) {
        this.activeSessions -= 1;
        if (this.sessionsByPeer.get(thisConn.peerAddress) === thisConn) this.sessionsByPeer.delete(thisConn.peerAddress);
        if (this.opts.once) void this.close();
      }
    });
    const admit = (): boolean => {
      if (this.closing || thisConn.isEnded) return false;
      // At most one session per peer: a peer that reconnects (restarted, or a
      // new pairing) replaces its old session instead of waiting for it.
      const previous = this.sessionsByPeer.get(thisConn.peerAddress);
      if (previous && !previous.isEnded) {
        previous.fail(new ControlError('limit', 'superseded by a new session from the same peer'));
      }
      if (this.activeSessions >= this.limits.maxSessions) this.endQuietestSession();
      if (this.activeSessions >= this.limits.maxSessions) return false;
      this.activeSessions += 1;
      admitted = true;
      this.sessionsByPeer.set(thisConn.peerAddress, thisConn);
      this.admission.settle(pending);
      return true;
    };
    serverHandshake(conn, this.opts.secret, this.limits.handshakeTimeoutMs, admit).then(
      ({ key }) => {
        if (thisConn.isEnded) return;
        session = this.startSession(thisConn, key);
        // Once mode serves exactly one peer: stop accepting new connections now.
        if (this.opts.once) this.server.close();
      },
      () => {
        // The connection already ended with the error; onEnd reports it.
      },
    );
  }

  /** Ends the session quiet for longest, if quiet for yieldQuietSessionMs (a kept session yields to a new peer). */
  private endQuietestSession(): void {
    const yieldMs = this.limits.yieldQuietSessionMs;
    if (yieldMs <= 0) return;
    const now = Date.now();
    let quietest: LineConnection | undefined;
    for (const conn of this.sessionsByPeer.values()) {
      if (!conn.isQuiet(yieldMs, now)) continue;
      if (!quietest || conn.quietSince < quietest.quietSince) quietest = conn;
    }
    quietest?.fail(new ControlError('limit', 'ended an idle session to make room for another peer'));
  }

  private startSession(conn: LineConnection, key: Buffer): Session {
    const aborter = new AbortController();
    const session: Session = {
      id: this.nextSessionId++,
      peerAddress: conn.peerAddress,
      peerPort: conn.peerPort,
      signal: aborter.signal,
    };
    conn.onEnd(() => aborter.abort());
    const calls = new RateWindow(this.limits.maxCallsPerSecond);
    let running = 0;
    const channel: SecureChannel = new SecureChannel(conn, key, 'server', this.limits.maxLineBytes, (message: Incoming) => {
      // Only calls reach here (ACCEPTS in channel.ts); the check keeps the types honest.
      if (message.type !== 'call') return;
      const { id, method, params } = message.body;
      if (!Object.hasOwn(this.opts.handlers, method)) {
        channel.abort(new ControlError('protocol', `peer called unknown method "${method}"`));
        return;
      }
      const handler = this.opts.handlers[method] as ErasedHandler;
      let checked: unknown;
      try {
        checked = handler.params.check(params, 'params');
      } catch (err) {
        const detail = err instanceof SchemaError ? err.message : String(err);
        channel.abort(new ControlError('protocol', `peer sent bad params for ${method}: ${detail}`));
        return;
      }
      if (!calls.add()) {
        sendError(channel, id, 'rate-limited', `rate limit: at most ${this.limits.maxCallsPerSecond} calls per second`);
        return;
      }
      if (running >= this.limits.maxConcurrentCalls) {
        sendError(channel, id, 'busy', `busy: at most ${this.limits.maxConcurrentCalls} calls at once`);
        return;
      }
      running += 1;
      void this.run(channel, session, handler, method, id, checked).finally(() => {
        running -= 1;
      });
    });
    conn.setIdleTimeout(this.limits.idleTimeoutMs, () => running > 0);
    if (this.limits.maxSessionMs > 0) {
      // Busy or not, a session ends eventually: no peer holds a slot forever.
      const lifetime = setTimeout(
        () => conn.fail(new ControlError('timeout', `session lasted longer than ${this.limits.maxSessionMs} ms; ended`)),
        this.limits.maxSessionMs,
      );
      lifetime.unref();
      conn.onEnd(() => clearTimeout(lifetime));
    }
    this.opts.onSession?.(session);
    return session;
  }

  private async run(
    channel: SecureChannel,
    session: Session,
    handler: ErasedHandler,
    method: string,
    id: number,
    params: unknown,
  ): Promise<void> {
    let result: unknown;
    try {
      result = await (handler.handle as (p: unknown, s: Session) => Promise<unknown>)(params, session);
    } catch (err) {
      const code = typeof (err as { code?: unknown }).code === 'string' && ERROR_CODE.test((err as { code: string }).code)
        ? (err as { code: string }).code
        : 'handler-error';
      sendError(channel, id, code, err instanceof Error ? err.message : String(err));
      return;
    }
    if (channel.conn.isEnded) return;
    try {
      channel.send('result', { id, result: handler.result.check(result, 'result') });
    } catch (err) {
      // Our own handler broke its contract (or the result is too large): the caller learns that much.
      const detail = err instanceof Error ? err.message : String(err);
      sendError(channel, id, 'internal', `listener produced a bad result for ${method}: ${detail}`);
    }
  }
}

/** The short category of why an unauthenticated connection ended, for the reject summary. */
function rejectReason(error: ControlError | undefined): string {
  if (!error) return 'closed';
  if (error.message.startsWith('dropped before authenticating')) return 'evicted';
  if (error.message.startsWith('rejected an authenticated peer')) return 'busy';
  return error.code;
}

function sendError(channel: SecureChannel, id: number, code: string, message: string): void {
  if (channel.conn.isEnded) return;
  const body: Body<'error'> = { id, error: { code, message: oneLine(message) } };
  channel.send('error', body);
}

/**
 * TCP_MAXSEG on the listening socket: accepted connections inherit it, and
 * it caps the segments of both directions (CONTROL_MSS). Best effort: where
 * the descriptor is not reachable the channel works as before.
 */
function clampSegments(server: Server): void {
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return;
  try {
    native().setTcpMaxSeg(fd, CONTROL_MSS);
  } catch {
    // Not a TCP socket we can tune (cannot happen on Linux): keep the kernel's MSS.
  }
}
