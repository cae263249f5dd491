// The initiator's side of the control channel: connect, authenticate, call.
import type { Socket } from 'node:net';
import { SecureChannel, METHOD_NAME, type Incoming } from './channel.js';
import { LineConnection } from './connection.js';
import { ControlError, RemoteCallError, excerpt, printable } from './errors.js';
import { AUTH_FAILED, clientHandshake } from './handshake.js';
import { DEFAULT_CONTROL_PORT, resolveLimits, type ControlLimits } from './limits.js';
import type { MethodMap, MethodSpec, ParamsOf, ResultOf } from './rpc.js';
import { SchemaError } from './schema.js';
import { classifyTlsError, connectTls, derivePsk } from './tls.js';

export interface ControlClientOptions<M extends MethodMap> {
  host: string;
  /** Default 7473. */
  port?: number;
  secret: Buffer;
  /** TCP connect and the handshake each must finish within this time (default 5000 ms). */
  timeoutMs?: number;
  /** Default time limit for each call (default 10000 ms). */
  callTimeoutMs?: number;
  /**
   * The methods' schemas. With them, call() checks params before sending and
   * results on arrival (a bad result ends the session), and is typed.
   */
  methods?: M;
  limits?: Partial<ControlLimits>;
  /** Source address to connect from (default: the kernel's choice). */
  localAddress?: string;
}

export interface CallOptions {
  timeoutMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  method: string;
}

/** Ids of calls that timed out: their late answers are dropped, not treated as forged. */
const MAX_REMEMBERED_TIMEOUTS = 1024;

export class ControlClient<M extends MethodMap = MethodMap> {
  private readonly pending = new Map<number, Pending>();
  private readonly timedOut = new Set<number>();
  private nextId = 1;
  private readonly channel: SecureChannel;
  /** Resolves when the session ends: with the error that ended it, or undefined after close(). */
  readonly closed: Promise<ControlError | undefined>;

  private constructor(
    private readonly conn: LineConnection,
    key: Buffer,
    private readonly opts: ControlClientOptions<M>,
    limits: ControlLimits,
  ) {
    this.channel = new SecureChannel(conn, key, 'client', limits.maxLineBytes, (m) => this.onMessage(m));
    this.closed = new Promise((resolve) => conn.onEnd(resolve));
    conn.onEnd((err) => {
      const reason = err ?? new ControlError('closed', 'control session closed');
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(reason);
      }
      this.pending.clear();
    });
  }

  /** Connects and authenticates; rejects with ControlError (connect, auth, timeout, protocol). */
  static async connect<M extends MethodMap = MethodMap>(opts: ControlClientOptions<M>): Promise<ControlClient<M>> {
    if (!Buffer.isBuffer(opts.secret) || opts.secret.length === 0) throw new TypeError('secret must be a non-empty Buffer');
    const limits = resolveLimits(opts.limits);
    const timeoutMs = opts.timeoutMs ?? limits.handshakeTimeoutMs;
    const port = opts.port ?? DEFAULT_CONTROL_PORT;
    const socket = await openSocket(opts.host, port, derivePsk(opts.secret), timeoutMs, opts.localAddress);
    const conn = new LineConnection(socket, limits);
    const { key } = await clientHandshake(conn, opts.secret, timeoutMs);
    return new ControlClient(conn, key, opts, limits);
  }

  /** False once the session ended (either side closed it, or it failed). */
  get isOpen(): boolean {
    return !this.conn.isEnded;
  }

  /** The peer's IP address. */
  get peerAddress(): string {
    return this.conn.peerAddress;
  }

  /**
   * Calls `method` on the peer. Rejects with RemoteCallError (the handler's
   * one-line message), ControlError('timeout') after the call timeout (the
   * session stays open), or the ControlError that ended the session.
   */
  call<K extends keyof M & string>(method: K, params: ParamsOf<M, K>, options: CallOptions = {}): Promise<ResultOf<M, K>> {
    if (this.conn.isEnded) return Promise.reject(this.conn.error ?? new ControlError('closed', 'control session closed'));
    if (!METHOD_NAME.test(method)) return Promise.reject(new TypeError(`method name ${excerpt(method)} is not valid`));
    const spec = this.spec(method);
    if (this.opts.methods && !spec) return Promise.reject(new TypeError(`unknown method "${method}"`));
    let checked: unknown = params;
    if (spec) {
      try {
        checked = spec.params.check(params, 'params');
      } catch (err) {
        return Promise.reject(new TypeError(`bad params for ${method}: ${(err as Error).message}`));
      }
    }
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.opts.callTimeoutMs ?? 10_000;
    return new Promise<ResultOf<M, K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.timedOut.add(id);
        if (this.timedOut.size > MAX_REMEMBERED_TIMEOUTS) this.timedOut.delete(this.timedOut.values().next().value as number);
        reject(new ControlError('timeout', `call ${method} timed out after ${timeoutMs} ms (the peer did not answer)`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, method });
      try {
        this.channel.send('call', { id, method, params: checked });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Ends the session. Pending calls reject with "control session closed". Idempotent. */
  close(): void {
    this.conn.close();
  }

  private spec(method: string): MethodSpec | undefined {
    const methods = this.opts.methods;
    return methods && Object.hasOwn(methods, method) ? methods[method] : undefined;
  }

  private onMessage(message: Incoming): void {
    if (message.type === 'call') return; // never accepted by a client (ACCEPTS in channel.ts)
    const { id } = message.body;
    const p = this.pending.get(id);
    if (!p) {
      if (this.timedOut.delete(id)) return;
      this.channel.abort(new ControlError('protocol', `peer answered call id ${id}, which was never made or already answered`));
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (message.type === 'error') {
      // The text comes from the peer: escaped so it cannot inject lines or terminal escapes.
      p.reject(new RemoteCallError(message.body.error.code, printable(message.body.error.message)));
      return;
    }
    const spec = this.spec(p.method);
    if (!spec) {
      p.resolve(message.body.result);
      return;
    }
    try {
      p.resolve(spec.result.check(message.body.result, 'result'));
    } catch (err) {
      const detail = err instanceof SchemaError ? err.message : String(err);
      const error = new ControlError('protocol', `peer sent a bad result for ${p.method}: ${detail}`);
      p.reject(error);
      this.channel.abort(error);
    }
  }
}

function openSocket(host: string, port: number, psk: Buffer, timeoutMs: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const { socket, ready } = connectTls(host, port, psk, localAddress);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ControlError('connect', `could not connect to the control port ${where} within ${timeoutMs} ms`));
    }, timeoutMs);
    ready.then(
      () => {
        clearTimeout(timer);
        resolve(socket);
      },
      (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        const kind = classifyTlsError(err);
        if (kind === 'auth') {
          reject(new ControlError('auth', `${AUTH_FAILED} (the TLS handshake with ${where} failed: VXPROBE_SECRET or --secret-file must be the same on both nodes)`, { cause: err }));
        } else if (kind === 'protocol') {
          reject(new ControlError('protocol', `peer ${where} is not a vxprobe control endpoint of this version (TLS handshake failed: ${err.code})`, { cause: err }));
        } else {
          const hint = err.code === 'ECONNREFUSED' ? ': is `vxprobe listen` running there?' : '';
          reject(new ControlError('connect', `could not connect to the control port ${where}: ${err.code ?? err.message}${hint}`, { cause: err }));
        }
      },
    );
  });
}
