// One long-lived streaming request whose body is newline-delimited JSON:
// the Kubernetes watch (chunked `{"type":...,"object":...}` lines) and etcd's
// gateway watch (`{"result":...}` lines). Lines are bounded, the connection
// must answer within a deadline and must not go silent for longer than
// `idleMs` (both servers send bookmarks/progress notifications), and every
// way it can end is one value, never a throw (docs/discovery.md).
import type { IncomingMessage } from 'node:http';
import { type TlsMaterial, failureReason, openRequest, serverText } from '../../cluster/http-client.js';

export type StreamEnd =
  /** The server answered something other than 200 (body excerpt, escaped). */
  | { kind: 'status'; status: number; body: string; rawBody: string }
  /** The server ended a 200 stream normally (e.g. the watch's timeoutSeconds). */
  | { kind: 'ended' }
  /** Connection failed, dropped, went silent, or sent a line we refuse. */
  | { kind: 'error'; reason: string }
  /** We aborted it (close(), or the line handler asked to stop). */
  | { kind: 'aborted' };

export interface LineStreamOptions {
  url: URL;
  method: 'GET' | 'POST';
  headers?: Record<string, string | number>;
  body?: string;
  tls?: TlsMaterial;
  /** Response headers must arrive within this (default 10 s). */
  connectTimeoutMs?: number;
  /** Longest silence on an open stream before it is treated as dead. */
  idleMs: number;
  /** Longest accepted line (one event), bytes. */
  maxLineBytes: number;
  /** Called with each complete line, in order. Returning 'stop' aborts the stream. */
  onLine: (line: string) => void | 'stop';
  /** Called once when a 200 response starts. */
  onOpen?: () => void;
}

export interface LineStream {
  readonly done: Promise<StreamEnd>;
  abort(): void;
}

/** Longest error body kept from a non-200 answer. */
const MAX_ERROR_BODY = 64 * 1024;

export function openLineStream(opts: LineStreamOptions): LineStream {
  let settle!: (end: StreamEnd) => void;
  const done = new Promise<StreamEnd>((resolve) => (settle = resolve));
  let finished = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const finish = (end: StreamEnd) => {
    if (finished) return;
    finished = true;
    clearTimeout(connectTimer);
    clearTimeout(idleTimer);
    req.destroy();
    settle(end);
  };
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => finish({ kind: 'error', reason: `silent for ${opts.idleMs} ms` }), opts.idleMs);
  };

  const onResponse = (res: IncomingMessage) => {
    clearTimeout(connectTimer);
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const raw = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY);
        finish({ kind: 'status', status, body: serverText(raw), rawBody: raw.toString('utf8') });
      });
      res.on('error', (err) => finish({ kind: 'error', reason: failureReason(err) }));
      return;
    }
    opts.onOpen?.();
    armIdle();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    res.on('data', (chunk: Buffer) => {
      if (finished) return;
      armIdle();
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl);
        if (pendingBytes + piece.length > opts.maxLineBytes) {
          finish({ kind: 'error', reason: `an event longer than ${opts.maxLineBytes} bytes` });
          return;
        }
        const line = (pending.length ? Buffer.concat([...pending, piece]) : piece).toString('utf8');
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
        if (line.trim() === '') continue;
        let verdict: void | 'stop';
        try {
          verdict = opts.onLine(line);
        } catch (err) {
          finish({ kind: 'error', reason: failureReason(err) });
          return;
        }
        if (verdict === 'stop') {
          finish({ kind: 'aborted' });
          return;
        }
        if (finished) return;
      }
      const rest = chunk.subarray(start);
      pendingBytes += rest.length;
      if (pendingBytes > opts.maxLineBytes) {
        finish({ kind: 'error', reason: `an event longer than ${opts.maxLineBytes} bytes` });
        return;
      }
      if (rest.length) pending.push(rest);
    });
    res.on('end', () => finish({ kind: 'ended' }));
    res.on('error', (err) => finish({ kind: 'error', reason: failureReason(err) }));
    res.on('close', () => finish({ kind: 'error', reason: 'connection closed' }));
  };

  const req = openRequest(opts, onResponse);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const connectTimer = setTimeout(
    () => finish({ kind: 'error', reason: `no answer in ${connectTimeoutMs} ms` }),
    connectTimeoutMs,
  );
  req.on('error', (err) => finish({ kind: 'error', reason: failureReason(err) }));
  // A watch can be quiet for minutes: keepalive finds a peer that vanished.
  req.on('socket', (sock) => sock.setKeepAlive(true, 30_000));
  req.end(opts.body);
  return { done, abort: () => finish({ kind: 'aborted' }) };
}
