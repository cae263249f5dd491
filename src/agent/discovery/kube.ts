// Node discovery in a pod: list the Nodes, then one watch from the list's
// resourceVersion with bookmarks, kept open for the agent's whole life. A
// dropped or silent connection re-watches from the last resourceVersion seen
// (capped exponential backoff with jitter); `410 Gone` (as HTTP status or as
// an ERROR event) means that version is compacted away, so we relist. Never a
// poll loop. Auth is the pod's service account, token re-read for every
// request because kubelet rotates it. See docs/discovery.md.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CannotRunError } from '../../errors.js';
import { type KubeApiConfig, SERVICE_ACCOUNT_DIR, apiBaseUrl, getJson } from '../../cluster/kube-api.js';
import { safeUrl, serverText } from '../../cluster/http-client.js';
import { type JsonObject, isObject } from '../../cluster/validate.js';
import type { BackoffOptions } from './backoff.js';
import { type NodeReader, flannelPeerNode, ineligibility, nodeName, resourceVersionOf } from './kube-node.js';
import { type StreamEnd, openLineStream } from './line-stream.js';
import { abortableDelay } from './node-set.js';
import { WatchDiscovery } from './watch-discovery.js';
import type { Discovery, PeerNode } from './types.js';

export interface KubeDiscoveryOptions {
  /** KUBERNETES_SERVICE_HOST / _PORT come from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Holds `token` and `ca.crt` (default /var/run/secrets/kubernetes.io/serviceaccount). */
  serviceAccountDir?: string;
  /** Node object → PeerNode (default: flannel's annotations + zone label). */
  readNode?: NodeReader;
  backoff?: BackoffOptions;
  /** Nodes per list page (default 500). */
  listPageSize?: number;
  /** Deadline for each list page (default 10 s). */
  requestTimeoutMs?: number;
  /** The watch's server-side timeoutSeconds (default 5-10 min, random per watch, as client-go does). */
  watchTimeoutSeconds?: number;
  /** Longest silence on the watch before it is treated as dead (default timeoutSeconds + 60 s). */
  idleMs?: number;
  /** Longest accepted watch event (default 4 MiB; a Node object is a few KB). */
  maxLineBytes?: number;
  /** One line per problem worth logging (a malformed node, a lost watch); no trailing newline. */
  log?: (line: string) => void;
}

const LIST_PAGE = 500;

interface WatchOutcome {
  kind: 'expired' | 'ended' | 'failed' | 'closed';
  reason?: string;
  events: number;
  /** The server accepted the watch (HTTP 200) before it ended. */
  opened?: boolean;
}

class KubeDiscovery extends WatchDiscovery {
  private readonly readNode: NodeReader;
  private readonly host: string;
  private readonly port: number;
  private readonly saDir: string;
  private resourceVersion = '';

  constructor(private readonly opts: KubeDiscoveryOptions) {
    const env = opts.env ?? process.env;
    const host = env.KUBERNETES_SERVICE_HOST ?? '';
    const port = Number(env.KUBERNETES_SERVICE_PORT ?? '443');
    super('kubernetes-api', host ? `${safeUrl(apiBaseUrl(apiConfigShape(host, port)))}/api/v1/nodes` : 'kubernetes-api', opts.backoff);
    this.host = host;
    this.port = port;
    this.saDir = opts.serviceAccountDir ?? env.VXPROBE_SERVICEACCOUNT_DIR ?? SERVICE_ACCOUNT_DIR;
    this.readNode = opts.readNode ?? flannelPeerNode;
  }

  /** Token and CA as they are now on disk (kubelet rotates the token in place). */
  private apiConfig(): KubeApiConfig {
    try {
      return {
        host: this.host,
        port: this.port,
        token: readFileSync(join(this.saDir, 'token'), 'utf8').trim(),
        ca: readFileSync(join(this.saDir, 'ca.crt')),
      };
    } catch (err) {
      throw new CannotRunError(`cannot read the service account in ${this.saDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  start(): Promise<void> {
    this.starting ??= this.firstSync();
    return this.starting;
  }

  private async firstSync(): Promise<void> {
    if (!this.host) throw new CannotRunError('not in a pod: KUBERNETES_SERVICE_HOST is not set (use --nodes or --etcd)');
    if (!Number.isInteger(this.port) || this.port <= 0 || this.port > 65535) {
      throw new CannotRunError('KUBERNETES_SERVICE_PORT is not a port');
    }
    if (!existsSync(join(this.saDir, 'token'))) throw new CannotRunError(`no service account token in ${this.saDir}`);
    try {
      await this.list();
    } catch (err) {
      await this.close();
      throw err instanceof Error ? err : new CannotRunError(String(err));
    }
    if (this.stop.signal.aborted) return;
    this.loop = this.watchLoop();
  }

  /** A full list (every page), replacing the set; returns when it is in. */
  private async list(): Promise<void> {
    const items: JsonObject[] = [];
    let cont: string | null = null;
    let rv = '';
    let page = 0;
    do {
      const query = `limit=${this.opts.listPageSize ?? LIST_PAGE}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const doc = await getJson(this.apiConfig(), `/api/v1/nodes?${query}`, {
        ...(this.opts.requestTimeoutMs !== undefined ? { timeoutMs: this.opts.requestTimeoutMs } : {}),
        signal: this.stop.signal,
      });
      if (!isObject(doc) || !Array.isArray(doc.items)) throw new CannotRunError('Kubernetes API /api/v1/nodes: answer is not a NodeList');
      for (const item of doc.items) if (isObject(item)) items.push(item);
      rv = resourceVersionOf(doc) ?? rv;
      const meta = isObject(doc.metadata) ? doc.metadata : null;
      cont = meta && typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : null;
      page++;
    } while (cont && page < 1000);
    if (!rv) throw new CannotRunError('Kubernetes API /api/v1/nodes: the NodeList has no resourceVersion to watch from');
    const nodes: PeerNode[] = [];
    items.forEach((item, i) => {
      const node = this.eligibleNode(item, `items[${i}]`);
      if (node) nodes.push(node);
    });
    this.set.replaceAll(nodes);
    this.resourceVersion = rv;
    this.synced = true;
    this.set.publish();
  }

  /** The PeerNode for an eligible, readable Node object, else null (a malformed one is warned about once). */
  private eligibleNode(item: JsonObject, path: string): PeerNode | null {
    const name = nodeName(item);
    if (name === null || ineligibility(item) !== null) return null;
    try {
      const node = this.readNode(item, path);
      this.warned.delete(name);
      return node;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (this.warned.get(name) !== why) this.opts.log?.(`node ${name} left out: ${why}`);
      this.warned.set(name, why);
      return null;
    }
  }

  private async watchLoop(): Promise<void> {
    let failures = 0;
    let expiredInARow = 0;
    while (!this.stop.signal.aborted) {
      const started = Date.now();
      const out = await this.watchOnce();
      if (out.kind === 'closed' || this.stop.signal.aborted) return;
      if (out.kind === 'expired') {
        // Our resourceVersion is older than the API server keeps: start over.
        // A server that calls even a fresh list's version gone gets the
        // backoff, not a tight list loop.
        this.synced = false;
        expiredInARow = out.events > 0 ? 1 : expiredInARow + 1;
        if (expiredInARow > 1) await abortableDelay(this.backoff.next(), this.stop.signal);
        await this.relist();
        continue;
      }
      expiredInARow = 0;
      // A normal end (timeoutSeconds) re-watches at once, unless the server
      // ends every watch immediately: that is treated as a failure.
      if (out.kind === 'ended' && (out.events > 0 || Date.now() - started > 1000)) {
        failures = 0;
        continue;
      }
      // Consecutive attempts that did not get a watch open: a watch that ran
      // and then dropped starts the count again.
      failures = out.opened ? 1 : failures + 1;
      if (failures >= 2) this.synced = false;
      this.opts.log?.(`Kubernetes node watch lost (${out.reason ?? 'ended at once'}); retrying`);
      await abortableDelay(this.backoff.next(), this.stop.signal);
    }
  }

  /** Relists until it succeeds or we are closed. */
  private async relist(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        await this.list();
        return;
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.opts.log?.(`Kubernetes node list failed: ${err instanceof Error ? err.message : String(err)}; retrying`);
        await abortableDelay(this.backoff.next(), this.stop.signal);
      }
    }
  }

  private async watchOnce(): Promise<WatchOutcome> {
    let cfg: KubeApiConfig;
    try {
      cfg = this.apiConfig();
    } catch (err) {
      return { kind: 'failed', reason: (err as Error).message, events: 0 };
    }
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const url = new URL('/api/v1/nodes', apiBaseUrl(cfg));
    url.searchParams.set('watch', '1');
    url.searchParams.set('allowWatchBookmarks', 'true');
    url.searchParams.set('resourceVersion', this.resourceVersion);
    url.searchParams.set('timeoutSeconds', String(timeoutSeconds));
    let events = 0;
    let opened = false;
    let expired = false;
    let errorText: string | undefined;
    this.stream = openLineStream({
      url,
      method: 'GET',
      headers: { authorization: `Bearer ${cfg.token}`, accept: 'application/json' },
      tls: { ca: cfg.ca },
      idleMs: this.opts.idleMs ?? timeoutSeconds * 1000 + 60_000,
      maxLineBytes: this.opts.maxLineBytes ?? 4 * 1024 * 1024,
      onOpen: () => {
        opened = true;
        this.synced = true;
      },
      onLine: (line) => {
        const verdict = this.applyEvent(line);
        if (verdict === 'expired') expired = true;
        else if (verdict !== 'ok') errorText = verdict;
        else {
          events++;
          this.backoff.reset();
        }
        return verdict === 'ok' ? undefined : 'stop';
      },
    });
    if (this.stop.signal.aborted) this.stream.abort();
    const end: StreamEnd = await this.stream.done;
    this.stream = null;
    if (this.stop.signal.aborted) return { kind: 'closed', events };
    if (expired || (end.kind === 'status' && end.status === 410)) return { kind: 'expired', events };
    if (errorText) return { kind: 'failed', reason: errorText, events, opened };
    if (end.kind === 'ended') return { kind: 'ended', events, opened };
    if (end.kind === 'status') return { kind: 'failed', reason: `HTTP ${end.status}: ${end.body}`, events };
    return { kind: 'failed', reason: end.kind === 'error' ? end.reason : 'aborted', events, opened };
  }

  /** One watch event line: 'ok', 'expired' (410), or why the watch must be restarted. */
  private applyEvent(line: string): 'ok' | 'expired' | string {
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      return 'the watch sent a line that is not JSON';
    }
    if (!isObject(ev) || typeof ev.type !== 'string' || !isObject(ev.object)) return 'the watch sent an event without type/object';
    const obj = ev.object;
    if (ev.type === 'ERROR') {
      if (obj.code === 410) return 'expired';
      const msg = typeof obj.message === 'string' ? obj.message : 'no message';
      return `the watch reported an error (code ${serverText(String(obj.code))}): ${serverText(msg)}`;
    }
    const rv = resourceVersionOf(obj);
    if (ev.type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      return 'ok';
    }
    const name = nodeName(obj);
    if (name === null) return 'the watch sent a Node without metadata.name';
    if (ev.type === 'DELETED') this.set.remove(name);
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const node = this.eligibleNode(obj, name);
      if (node) this.set.put(node);
      else this.set.remove(name);
    } else return `the watch sent an unknown event type ${serverText(ev.type.slice(0, 40))}`;
    if (rv) this.resourceVersion = rv;
    this.set.publish();
    return 'ok';
  }

}

/** The API address as the shared URL helpers take it (no credentials: only for naming the origin). */
function apiConfigShape(host: string, port: number): KubeApiConfig {
  return { host, port, token: '', ca: Buffer.alloc(0) };
}

/** Nodes from the Kubernetes API of the pod this runs in (list + one watch). */
export function createKubeDiscovery(opts: KubeDiscoveryOptions = {}): Discovery {
  return new KubeDiscovery(opts);
}
