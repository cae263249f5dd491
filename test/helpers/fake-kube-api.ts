// A Kubernetes API server for Nodes on loopback HTTPS that speaks the real
// list + watch protocol: paged lists with a resourceVersion, chunked JSON
// watch events (split across writes), BOOKMARK events, `410 Gone` for a
// compacted resourceVersion (as an HTTP status or as an ERROR event), the
// watch's timeoutSeconds, dropped connections, and a bearer token check. Its
// certificate is signed by a CA made for the test (makeTestPki).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Server, createServer } from 'node:https';
import type { TestPki } from './etcd-server.js';

type Obj = Record<string, unknown>;

export function apiNode(
  name: string,
  ip: string,
  mac: string,
  opts: { ready?: boolean | 'Unknown'; deleting?: boolean; zone?: string; vni?: number } = {},
): Obj {
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, ...(opts.zone ? { 'topology.kubernetes.io/zone': opts.zone } : {}) },
      annotations: {
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: opts.vni ?? 1, VtepMAC: mac }),
        'flannel.alpha.coreos.com/public-ip': ip,
      },
      ...(opts.deleting ? { deletionTimestamp: '2026-11-27T00:00:00Z' } : {}),
    },
    spec: { podCIDR: `10.244.${ip.split('.')[3]}.0/24` },
    status: {
      addresses: [{ type: 'InternalIP', address: ip }],
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: ready === true ? 'True' : ready === false ? 'False' : 'Unknown' },
      ],
    },
  };
}

export interface ApiRequest {
  kind: 'list' | 'watch' | 'other';
  query: URLSearchParams;
  token: string;
}

export class FakeKubeApi {
  token = 'token-1';
  /** How a compacted resourceVersion is refused: HTTP 410, or a 200 stream with an ERROR event. */
  goneAs: 'http' | 'event' = 'event';
  readonly requests: ApiRequest[] = [];
  maxOpenWatches = 0;
  private readonly nodes = new Map<string, Obj>();
  private rv = 1000;
  private compactedBelow = 0;
  private readonly history: Array<{ rv: number; line: string }> = [];
  private readonly watches = new Set<ServerResponse>();
  private readonly sockets = new Set<import('node:tls').TLSSocket>();
  private server!: Server;
  port = 0;

  constructor(private readonly pki: TestPki) {}

  async start(): Promise<void> {
    this.server = createServer(
      { key: readFileSync(this.pki.files.serverKey), cert: readFileSync(this.pki.files.serverCert) },
      (req, res) => this.handle(req, res),
    );
    this.server.on('secureConnection', (sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** TLS connections open right now (watches, and any idle keep-alive socket). */
  get openConnections(): number {
    return this.sockets.size;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** ADDED or MODIFIED, sent to every open watch. */
  upsert(node: Obj): void {
    const name = (node.metadata as Obj).name as string;
    const type = this.nodes.has(name) ? 'MODIFIED' : 'ADDED';
    this.emit(type, node);
    this.nodes.set(name, node);
  }

  remove(name: string): void {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    this.nodes.delete(name);
    this.emit('DELETED', node);
  }

  /** A BOOKMARK at a newer resourceVersion (other objects changed meanwhile). */
  bookmark(): string {
    this.rv += 5;
    const line = JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Node', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } });
    for (const w of this.watches) w.write(`${line}\n`);
    return String(this.rv);
  }

  /** Forgets history: a watch from any version seen so far gets 410 Gone. */
  compact(): void {
    this.rv += 1;
    this.compactedBelow = this.rv;
    this.history.length = 0;
  }

  /** Writes raw bytes to every open watch (hostile streams). */
  sendRaw(text: string): void {
    for (const w of this.watches) w.write(text);
  }

  /** A broken server: every watch, even from a fresh list's version, is 410 Gone. */
  goneForever(): void {
    this.compactedBelow = Number.POSITIVE_INFINITY;
  }

  /** Cuts every open watch connection without ending the HTTP response properly. */
  dropWatches(): void {
    for (const w of this.watches) w.socket?.destroy();
  }

  private emit(type: string, node: Obj): void {
    this.rv += 1;
    const obj = structuredClone(node);
    (obj.metadata as Obj).resourceVersion = String(this.rv);
    const line = JSON.stringify({ type, object: obj });
    this.history.push({ rv: this.rv, line });
    for (const w of this.watches) this.writeSplit(w, line);
  }

  /** One event in two writes, so a line arrives in more than one chunk. */
  private writeSplit(res: ServerResponse, line: string): void {
    const cut = Math.floor(line.length / 2);
    res.write(line.slice(0, cut));
    res.write(`${line.slice(cut)}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://x');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    this.requests.push({ kind: url.pathname !== '/api/v1/nodes' ? 'other' : watch ? 'watch' : 'list', query: url.searchParams, token });
    const status = (code: number, reason: string): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code }));
    };
    if (token !== this.token) return status(401, 'Unauthorized');
    if (url.pathname !== '/api/v1/nodes') return status(404, 'NotFound');
    if (!watch) return this.list(url, res);
    const from = Number(url.searchParams.get('resourceVersion'));
    if (!Number.isInteger(from) || from < this.compactedBelow) {
      if (this.goneAs === 'http') return status(410, 'Expired');
      res.writeHead(200, { 'content-type': 'application/json' });
      const gone = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `too old resource version: ${from}`, reason: 'Expired', code: 410 };
      res.end(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    for (const h of this.history) if (h.rv > from) this.writeSplit(res, h.line);
    this.watches.add(res);
    this.maxOpenWatches = Math.max(this.maxOpenWatches, this.watches.size);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watches.delete(res);
    });
  }

  private list(url: URL, res: ServerResponse): void {
    const limit = Number(url.searchParams.get('limit') ?? '0') || Infinity;
    const offset = Number(url.searchParams.get('continue') ?? '0');
    const all = [...this.nodes.values()].sort((a, b) => String((a.metadata as Obj).name).localeCompare(String((b.metadata as Obj).name)));
    const items = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    const body = {
      kind: 'NodeList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(offset + limit) } : {}) },
      items,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
