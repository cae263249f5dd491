// What the Kubernetes and etcd sources share: one stream at a time, one loop
// that renews it, a stop signal, a backoff, and the node set that turns
// events into snapshots (docs/discovery.md). Each source adds its own list,
// watch and event handling.
import { Backoff, type BackoffOptions } from './backoff.js';
import type { LineStream } from './line-stream.js';
import { NodeSet } from './node-set.js';
import type { Discovery, DiscoverySnapshot } from './types.js';

export abstract class WatchDiscovery implements Discovery {
  synced = false;
  protected readonly set: NodeSet;
  protected readonly stop = new AbortController();
  protected readonly backoff: Backoff;
  /** One warning line per distinct problem, keyed by what it is about. */
  protected readonly warned = new Map<string, string>();
  protected stream: LineStream | null = null;
  protected loop: Promise<void> | null = null;
  protected starting: Promise<void> | null = null;

  constructor(source: string, origin: string, backoff: BackoffOptions | undefined) {
    this.set = new NodeSet(source, origin);
    this.backoff = new Backoff(backoff);
  }

  abstract start(): Promise<void>;

  snapshot(): DiscoverySnapshot {
    return this.set.snapshot();
  }

  onChange(listener: (snap: DiscoverySnapshot) => void): () => void {
    return this.set.onChange(listener);
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.stream?.abort();
    this.synced = false;
    this.set.clearListeners();
    if (this.loop) await this.loop;
  }
}
