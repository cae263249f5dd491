// The agent's HTTP endpoint (node:http): metrics, the JSON API, probes for
// Kubernetes and the matrix page (docs/agent.md, "HTTP"). Everything here is
// small, bounded and read-only, so a hostile or slow client costs a socket and
// a few KiB and never holds up probing: short header/request timeouts, a
// header size cap, a connection cap, GET/HEAD only, a fixed route table.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { webAssets, type WebAsset } from './web-assets.js';

export interface HttpApi {
  results(): unknown;
  peers(): unknown;
  inspect(): unknown;
  cluster(): Promise<unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
  ready(): { ready: boolean; reasons: string[] };
}

export interface HttpOptions {
  host?: string;
  port: number;
  /** Connections at once (default 64). */
  maxConnections?: number;
}

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export const HTTP_LIMITS = {
  maxHeaderSize: 8 * 1024,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  idleSocketMs: 15_000,
} as const;

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

function sendJson(res: ServerResponse, status: number, doc: unknown): void {
  const body = JSON.stringify(doc);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function routes(api: HttpApi, assets: Map<string, WebAsset>): Map<string, Route> {
  const table = new Map<string, Route>([
    ['/metrics', async (_req, res) => {
      const m = await api.metrics();
      sendText(res, 200, m.contentType, m.body);
    }],
    ['/api/v1/results', (_req, res) => sendJson(res, 200, api.results())],
    ['/api/v1/peers', (_req, res) => sendJson(res, 200, api.peers())],
    ['/api/v1/inspect', (_req, res) => sendJson(res, 200, api.inspect())],
    ['/api/v1/cluster', async (_req, res) => sendJson(res, 200, await api.cluster())],
    ['/healthz', (_req, res) => sendText(res, 200, 'text/plain; charset=utf-8', 'ok\n')],
    ['/readyz', (_req, res) => {
      const r = api.ready();
      sendText(res, r.ready ? 200 : 503, 'text/plain; charset=utf-8', r.ready ? 'ready\n' : `not ready: ${r.reasons.join('; ')}\n`);
    }],
  ]);
  for (const [path, asset] of assets) table.set(path, (_req, res) => sendText(res, 200, asset.contentType, asset.body));
  return table;
}

export async function startHttp(api: HttpApi, opts: HttpOptions): Promise<HttpEndpoint> {
  const table = routes(api, webAssets());
  const server: Server = createServer(
    {
      maxHeaderSize: HTTP_LIMITS.maxHeaderSize,
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
      keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
      // Node checks the header/request timeouts this often (default 30 s: far too lax for trickling clients).
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      void handle(req, res);
    },
  );
  server.maxConnections = opts.maxConnections ?? 64;
  server.setTimeout(HTTP_LIMITS.idleSocketMs, (socket: Socket) => socket.destroy());
  // Malformed requests (bad request line, oversized headers): answer once, drop the socket.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return sendJson(res, 405, { error: `method ${String(req.method).slice(0, 16)} not allowed` });
      }
      // The path alone decides; a query string is ignored, nothing is read from disk per request.
      const raw = req.url ?? '/';
      const path = raw.split('?', 1)[0]!;
      const route = path.length <= 64 ? table.get(path) : undefined;
      if (!route) return sendJson(res, 404, { error: 'no such path', paths: [...table.keys()].filter((p) => p.startsWith('/api') || p === '/metrics') });
      await route(req, res);
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot serve HTTP on ${opts.host ?? '*'}:${opts.port}: ${err.code ?? err.message}`));
    });
    server.listen({ port: opts.port, host: opts.host }, () => resolve());
  });
  server.on('error', () => {});
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
