// The eligible node set a watch maintains, and the Discovery plumbing shared
// by the Kubernetes and etcd sources: listeners, snapshots, and change
// detection per node, so a 5,000-node cluster's heartbeat updates cost one
// small comparison each and onChange fires only when something we use changed
// (docs/discovery.md).
import type { FlannelNetworkConfig } from '../../cluster/types.js';
import type { DiscoverySnapshot, PeerNode } from './types.js';

export class NodeSet {
  private readonly nodes = new Map<string, { node: PeerNode; key: string }>();
  private config: FlannelNetworkConfig | null = null;
  private configKey = 'null';
  private dirty = false;
  private cached: DiscoverySnapshot;
  private readonly listeners = new Set<(snap: DiscoverySnapshot) => void>();

  constructor(
    private readonly source: string,
    private readonly origin: string,
  ) {
    this.cached = { nodes: [], config: null, source, origin };
  }

  /** Adds or replaces an eligible node (no change if its data is identical). */
  put(node: PeerNode): void {
    const key = JSON.stringify(node);
    if (this.nodes.get(node.name)?.key === key) return;
    this.nodes.set(node.name, { node, key });
    this.dirty = true;
  }

  /** Removes a node (gone, not Ready, being deleted, or unreadable). */
  remove(name: string): void {
    if (this.nodes.delete(name)) this.dirty = true;
  }

  setConfig(config: FlannelNetworkConfig | null): void {
    const key = JSON.stringify(config);
    if (key === this.configKey) return;
    this.config = config;
    this.configKey = key;
    this.dirty = true;
  }

  /** Replaces the whole set (after a list/relist); only real differences count as a change. */
  replaceAll(nodes: PeerNode[]): void {
    const names = new Set(nodes.map((n) => n.name));
    for (const name of [...this.nodes.keys()]) if (!names.has(name)) this.remove(name);
    for (const n of nodes) this.put(n);
  }

  /** Names currently in the set (published or not). */
  names(): string[] {
    return [...this.nodes.keys()];
  }

  snapshot(): DiscoverySnapshot {
    return this.cached;
  }

  onChange(listener: (snap: DiscoverySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes a new snapshot to the listeners if anything changed since the last one. */
  publish(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const nodes = [...this.nodes.values()].map((e) => e.node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.cached = { nodes, config: this.config, source: this.source, origin: this.origin };
    for (const listener of [...this.listeners]) {
      try {
        listener(this.cached);
      } catch {
        // A listener's failure is its own; the watch goes on for the others.
      }
    }
  }

  /** Drops every listener (close()). */
  clearListeners(): void {
    this.listeners.clear();
  }
}

/** A promise-based sleep that close() can cut short. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
