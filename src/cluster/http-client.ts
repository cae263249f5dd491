// The one HTTP(S) request the cluster readers (etcd's JSON gateway, the
// Kubernetes API) make: a whole-request deadline (not Node's idle timeout,
// which a server trickling one byte a second never trips), a cap on the body,
// and helpers that keep credentials and server text out of our messages.
// See docs/discovery.md ("Talking to etcd and the API server").
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { printable } from '../pair/control/errors.js';

/** Client TLS material, as etcdctl's --cacert/--cert/--key give it (file contents). */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface BoundedRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers?: Record<string, string | number>;
  body?: string;
  tls?: TlsMaterial;
  /** The whole exchange (connect, TLS, headers, body) must finish within this. */
  deadlineMs: number;
  /** Bodies larger than this are refused (the request is aborted). */
  maxBytes: number;
  /** Aborts the request (the promise rejects with code 'EABORTED'). */
  signal?: AbortSignal;
}

export interface BoundedResponse {
  status: number;
  body: Buffer;
}

/** Error with a `code` callers turn into one line ('ETIMEDOUT', 'ETOOBIG', or Node's own). */
export class HttpClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpClientError';
  }
}

/** Starts a request with the URL's credentials stripped out (they never go on the request line). */
export function openRequest(
  opts: Omit<BoundedRequest, 'deadlineMs' | 'maxBytes'>,
  onResponse: (res: IncomingMessage) => void,
): ReturnType<typeof httpRequest> {
  const send = opts.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const target = new URL(opts.url.href);
  target.username = '';
  target.password = '';
  return send(
    target,
    {
      method: opts.method,
      headers: opts.headers ?? {},
      // No connection pool: every socket we open is closed when its request
      // ends, so a closed watcher leaves no idle keep-alive socket behind.
      agent: false,
      ...(opts.tls?.ca ? { ca: opts.tls.ca } : {}),
      ...(opts.tls?.cert ? { cert: opts.tls.cert } : {}),
      ...(opts.tls?.key ? { key: opts.tls.key } : {}),
    },
    onResponse,
  );
}

/** One request, bounded in time and size. Rejects with HttpClientError or Node's own error (with its code). */
export function boundedRequest(opts: BoundedRequest): Promise<BoundedResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, res?: BoundedResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(res!);
      }
    };
    const req = openRequest(opts, (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        finish(new HttpClientError('ETOOBIG', `answer larger than ${opts.maxBytes} bytes (Content-Length ${declared})`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) {
          finish(new HttpClientError('ETOOBIG', `answer larger than ${opts.maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', (err) => finish(err));
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    const timer = setTimeout(
      () => finish(new HttpClientError('ETIMEDOUT', `no complete answer in ${opts.deadlineMs} ms`)),
      opts.deadlineMs,
    );
    const onAbort = () => finish(new HttpClientError('EABORTED', 'request aborted'));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => opts.signal?.removeEventListener('abort', onAbort));
    req.on('error', (err) => finish(err));
    req.end(opts.body);
  });
}

/** A short code or message for a failed request, safe to print. */
export function failureReason(err: unknown): string {
  if (err instanceof HttpClientError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return printable(err instanceof Error ? err.message : String(err), 200);
}

/** Server text for an error line: first 200 characters, control characters and escapes made visible. */
export function serverText(body: Buffer | string): string {
  const text = typeof body === 'string' ? body : body.subarray(0, 800).toString('utf8');
  return printable(text.trim(), 200);
}

/**
 * A URL as we print it: no user, no password, and escaped. For text that is
 * not a URL at all, anything up to an `@` after `//` is cut out as well.
 */
export function safeUrl(url: string | URL): string {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return printable(String(url).replace(/\/\/[^/]*@/, '//'), 200);
  }
  u.username = '';
  u.password = '';
  return printable(u.href.replace(/\/$/, ''), 200);
}
