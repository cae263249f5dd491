// Node discovery from flannel's etcd: one range read of `<prefix>/` (network
// config + subnet leases) at revision R, then one watch from R+1 through
// etcd v3's JSON gateway (POST /v3/watch, newline-delimited results). If R
// has been compacted away the watch is cancelled with compact_revision and we
// range again; a dropped or silent stream re-watches from the last revision
// seen, with capped exponential backoff and jitter. See docs/discovery.md.
import {
  type EtcdConnection,
  type EtcdTlsFiles,
  DEFAULT_ETCD_PREFIX,
  decodeKv,
  etcdBaseUrl,
  etcdEndpoint,
  etcdRange,
  int64Field,
  keyLabel,
  normalisePrefix,
  parseNetworkConfig,
  parseSubnetLease,
  prefixRangeEnd,
  readEtcdTls,
} from '../../cluster/etcd.js';
import { type TlsMaterial, safeUrl, serverText } from '../../cluster/http-client.js';
import { type Json, isObject } from '../../cluster/validate.js';
import { CannotRunError, UsageError } from '../../errors.js';
import type { BackoffOptions } from './backoff.js';
import { openLineStream } from './line-stream.js';
import { abortableDelay } from './node-set.js';
import { WatchDiscovery } from './watch-discovery.js';
import type { Discovery } from './types.js';

export interface EtcdDiscoveryOptions {
  /** etcd client URL, e.g. https://10.0.0.5:2379 (credentials in it are never printed). */
  url: string;
  /** flannel's --etcd-prefix (default /coreos.com/network). */
  prefix?: string;
  /** CA / client certificate and key, already read. */
  tls?: TlsMaterial;
  /** Or the files, as --etcd-cacert/--etcd-cert/--etcd-key name them (read at start()). */
  tlsFiles?: EtcdTlsFiles;
  backoff?: BackoffOptions;
  /** Deadline for each range read (default 5 s). */
  requestTimeoutMs?: number;
  /**
   * Longest silence on the watch before it is treated as dead. We ask for
   * progress notifications, which etcd sends every 10 minutes by default
   * (--experimental-watch-progress-notify-interval), so the default is 11 minutes.
   */
  idleMs?: number;
  /** Longest accepted watch result line (default 4 MiB). */
  maxLineBytes?: number;
  /** One line per problem worth logging (a malformed lease, a lost watch); no trailing newline. */
  log?: (line: string) => void;
}

type WatchEnd = { kind: 'compacted' } | { kind: 'failed'; reason: string } | { kind: 'closed' };

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

class EtcdDiscovery extends WatchDiscovery {
  private conn: EtcdConnection;
  private readonly prefix: string;
  /** Every event up to this revision has been applied. */
  private revision = 0;

  constructor(private readonly opts: EtcdDiscoveryOptions) {
    super('etcd', safeUrl(opts.url), opts.backoff);
    this.prefix = normalisePrefix(opts.prefix ?? DEFAULT_ETCD_PREFIX);
    this.conn = {
      url: opts.url,
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.requestTimeoutMs !== undefined ? { timeoutMs: opts.requestTimeoutMs } : {}),
      signal: this.stop.signal,
    };
  }

  start(): Promise<void> {
    this.starting ??= this.firstSync();
    return this.starting;
  }

  private async firstSync(): Promise<void> {
    try {
      const fileTls = this.opts.tlsFiles ? readEtcdTls(this.opts.tlsFiles) : undefined;
      if (fileTls) this.conn = { ...this.conn, tls: fileTls };
      etcdBaseUrl(this.conn);
      const found = await this.range();
      if (!found) throw new UsageError(`--etcd ${safeUrl(this.opts.url)}: no flannel data under ${this.prefix} (wrong --etcd-prefix?)`);
    } catch (err) {
      await this.close();
      throw err instanceof Error ? err : new CannotRunError(String(err));
    }
    if (this.stop.signal.aborted) return;
    this.loop = this.watchLoop();
  }

  /** Reads everything under the prefix, replacing the set; false when there is no flannel data at all. */
  private async range(): Promise<boolean> {
    const { kvs, revision } = await etcdRange(this.conn, `${this.prefix}/`);
    if (this.stop.signal.aborted) return true;
    const names = new Set<string>();
    let config = false;
    for (const kv of kvs) {
      const applied = this.applyPut(kv.key, kv.value);
      if (applied === 'config') config = true;
      else if (applied) names.add(applied);
    }
    if (!config) this.set.setConfig(null);
    // Drop what the fresh read no longer has (after a compaction).
    for (const name of this.set.names()) if (!names.has(name)) this.set.remove(name);
    this.revision = revision;
    this.synced = true;
    this.set.publish();
    return config || names.size > 0 || kvs.some((kv) => kv.key.startsWith(`${this.prefix}/subnets/`));
  }

  /** A key's new value: 'config', the lease's node name, or null (not ours, or unreadable and left out). */
  private applyPut(key: string, value: string): string | null {
    if (key === `${this.prefix}/config`) {
      try {
        this.set.setConfig(parseNetworkConfig(value, `etcd ${key}`));
      } catch (err) {
        this.warnOnce(key, (err as Error).message);
        this.set.setConfig(null);
      }
      return 'config';
    }
    const suffix = this.leaseSuffix(key);
    if (suffix === null) return null;
    try {
      this.set.put({ ...parseSubnetLease(suffix, value, keyLabel(key)), zone: null });
      this.warned.delete(key);
      return suffix;
    } catch (err) {
      this.warnOnce(key, (err as Error).message);
      this.set.remove(suffix);
      return null;
    }
  }

  private leaseSuffix(key: string): string | null {
    const subnets = `${this.prefix}/subnets/`;
    if (!key.startsWith(subnets)) return null;
    const suffix = key.slice(subnets.length);
    return suffix === '' || suffix.includes('/') ? null : suffix;
  }

  private warnOnce(key: string, why: string): void {
    if (this.warned.get(key) !== why) this.opts.log?.(`${keyLabel(key)} left out: ${why}`);
    this.warned.set(key, why);
  }

  private async watchLoop(): Promise<void> {
    let compactedInARow = 0;
    while (!this.stop.signal.aborted) {
      const revisionBefore = this.revision;
      const end = await this.watchOnce();
      if (end.kind === 'closed' || this.stop.signal.aborted) return;
      if (end.kind === 'compacted') {
        this.synced = false;
        // A fresh range's revision compacted away at once again means a
        // broken server: back off rather than range in a tight loop.
        compactedInARow = this.revision > revisionBefore ? 1 : compactedInARow + 1;
        if (compactedInARow > 1) await abortableDelay(this.backoff.next(), this.stop.signal);
        await this.rerange();
        continue;
      }
      compactedInARow = 0;
      this.opts.log?.(`etcd lease watch lost (${end.reason}); retrying`);
      await abortableDelay(this.backoff.next(), this.stop.signal);
    }
  }

  private async rerange(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        await this.range();
        return;
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.opts.log?.(`etcd range read failed: ${(err as Error).message}; retrying`);
        await abortableDelay(this.backoff.next(), this.stop.signal);
      }
    }
  }

  private async watchOnce(): Promise<WatchEnd> {
    const create = {
      create_request: {
        key: b64(`${this.prefix}/`),
        range_end: prefixRangeEnd(`${this.prefix}/`),
        start_revision: String(this.revision + 1),
        progress_notify: true,
      },
    };
    const body = JSON.stringify(create);
    let outcome: WatchEnd | null = null;
    this.stream = openLineStream({
      url: etcdEndpoint(etcdBaseUrl(this.conn), '/v3/watch'),
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      body,
      ...(this.conn.tls ? { tls: this.conn.tls } : {}),
      idleMs: this.opts.idleMs ?? 11 * 60_000,
      maxLineBytes: this.opts.maxLineBytes ?? 4 * 1024 * 1024,
      onLine: (line) => {
        outcome = this.applyResult(line);
        return outcome ? 'stop' : undefined;
      },
    });
    if (this.stop.signal.aborted) this.stream.abort();
    const end = await this.stream.done;
    this.stream = null;
    if (this.stop.signal.aborted) return { kind: 'closed' };
    if (outcome) return outcome;
    if (end.kind === 'status') return { kind: 'failed', reason: `HTTP ${end.status}: ${end.body}` };
    if (end.kind === 'error') return { kind: 'failed', reason: end.reason };
    return { kind: 'failed', reason: 'the server ended the watch' };
  }

  /** One watch result line; null to go on, or how the watch ended. */
  private applyResult(line: string): WatchEnd | null {
    let msg: Json;
    try {
      msg = JSON.parse(line) as Json;
    } catch {
      return { kind: 'failed', reason: 'the watch sent a line that is not JSON' };
    }
    if (!isObject(msg)) return { kind: 'failed', reason: 'the watch sent a line that is not an object' };
    if (isObject(msg.error)) {
      const text = typeof msg.error.message === 'string' ? msg.error.message : 'no message';
      return { kind: 'failed', reason: `etcd error: ${serverText(text)}` };
    }
    const r = msg.result;
    if (!isObject(r)) return null;
    if (r.canceled === true) {
      if (int64Field(r.compact_revision) > 0) return { kind: 'compacted' };
      const why = typeof r.cancel_reason === 'string' ? r.cancel_reason : 'no reason given';
      return { kind: 'failed', reason: `etcd cancelled the watch: ${serverText(why)}` };
    }
    if (r.created === true) {
      this.synced = true;
      return null;
    }
    const events = Array.isArray(r.events) ? r.events : [];
    if (events.length === 0) {
      // A progress notification: every change up to header.revision has been sent.
      const rev = isObject(r.header) ? int64Field(r.header.revision) : 0;
      if (rev > this.revision) this.revision = rev;
      return null;
    }
    const where = safeUrl(this.opts.url);
    for (const ev of events) {
      if (!isObject(ev)) continue;
      const kv = decodeKv(ev.kv ?? null, where);
      if (ev.type === 'DELETE') {
        if (kv.key === `${this.prefix}/config`) this.set.setConfig(null);
        const suffix = this.leaseSuffix(kv.key);
        if (suffix !== null) this.set.remove(suffix);
        this.warned.delete(kv.key);
      } else {
        this.applyPut(kv.key, kv.value);
      }
      if (kv.modRevision > this.revision) this.revision = kv.modRevision;
    }
    this.backoff.reset();
    this.set.publish();
    return null;
  }

}

/** flannel's subnet leases from etcd (range + one watch). */
export function createEtcdDiscovery(opts: EtcdDiscoveryOptions): Discovery {
  return new EtcdDiscovery(opts);
}
