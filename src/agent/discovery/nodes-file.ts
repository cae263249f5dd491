// `--nodes FILE` discovery: the `kubectl get nodes -o json` document, parsed
// by the same code inspect uses (src/cluster/node-document.ts) and re-read
// when it changes. A file that vanishes or turns invalid keeps the last good
// node set (the agent goes on probing) and marks the source not current.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { nodesFromJson } from '../../cluster/node-document.js';
import { UsageError } from '../../errors.js';
import { isObject, parseJsonText, type Json } from '../../cluster/validate.js';
import type { Discovery, DiscoverySnapshot, PeerNode } from './types.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
const LEGACY_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';

export interface NodesFileOptions {
  file: string;
  /** How often the file's stat is checked, ms (default 2000). */
  pollMs?: number;
  /** One line per problem (file vanished, invalid document). */
  log?: (line: string) => void;
}

interface NodeMeta {
  zone: string | null;
  eligible: boolean;
}

/** Zone label and eligibility (Ready, not being deleted) of each item, by name. */
export function nodeMeta(doc: Json): Map<string, NodeMeta> {
  const out = new Map<string, NodeMeta>();
  const items = isObject(doc) && Array.isArray(doc.items) ? doc.items : [doc];
  for (const item of items) {
    if (!isObject(item) || !isObject(item.metadata) || typeof item.metadata.name !== 'string') continue;
    const labels = isObject(item.metadata.labels) ? item.metadata.labels : {};
    const zoneLabel = labels[ZONE_LABEL] ?? labels[LEGACY_ZONE_LABEL];
    const zone = typeof zoneLabel === 'string' && zoneLabel !== '' ? zoneLabel : null;
    const deleting = item.metadata.deletionTimestamp !== undefined && item.metadata.deletionTimestamp !== null;
    out.set(item.metadata.name, { zone, eligible: !deleting && isReady(item) });
  }
  return out;
}

/** A node without conditions (a hand-written document) counts as ready. */
function isReady(item: { [k: string]: Json }): boolean {
  const status = isObject(item.status) ? item.status : null;
  const conditions = status && Array.isArray(status.conditions) ? status.conditions : null;
  if (!conditions) return true;
  const ready = conditions.find((c) => isObject(c) && c.type === 'Ready');
  return !ready || !isObject(ready) || ready.status === 'True';
}

/** Parses a nodes document into the eligible peers (throws a one-line UsageError). */
export function peersFromDocument(text: string, origin: string): PeerNode[] {
  if (text.trim() === '') throw new UsageError(`${origin}: empty (expected \`kubectl get nodes -o json\` output)`);
  const doc = parseJsonText(text, origin);
  const nodes = nodesFromJson(doc);
  const meta = nodeMeta(doc);
  return nodes
    .filter((n) => meta.get(n.name)?.eligible !== false)
    .map((n) => ({ ...n, zone: meta.get(n.name)?.zone ?? null }));
}

export function createNodesFileDiscovery(opts: NodesFileOptions): Discovery {
  const log = opts.log ?? (() => {});
  const listeners = new Set<(snap: DiscoverySnapshot) => void>();
  let snap: DiscoverySnapshot = { nodes: [], config: null, source: 'nodes-document', origin: opts.file };
  let synced = false;
  let closed = false;
  let watching = false;
  let lastText: string | null = null;
  /** The file's identity just before the last read: any later change differs from it. */
  let readAs: string | null = null;
  let lastProblem: string | null = null;
  let reading: Promise<void> = Promise.resolve();

  const problem = (line: string): void => {
    synced = false;
    if (line !== lastProblem) log(line);
    lastProblem = line;
  };

  const identity = async (): Promise<string | null> => {
    try {
      const st = await stat(opts.file);
      return `${st.ino}/${st.size}/${st.mtimeMs}`;
    } catch {
      return null;
    }
  };

  const load = async (): Promise<void> => {
    let text: string;
    try {
      readAs = await identity();
      text = await readFile(opts.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new UsageError(`--nodes ${opts.file}: cannot read (${code})`);
    }
    if (text === lastText) {
      synced = true;
      return;
    }
    const nodes = peersFromDocument(text, `--nodes ${opts.file}`);
    lastText = text;
    synced = true;
    if (lastProblem) log(`--nodes ${opts.file}: readable again (${nodes.length} nodes)`);
    lastProblem = null;
    snap = { ...snap, nodes };
    for (const l of listeners) l(snap);
  };

  const poll = (): void => {
    // Serialised: a burst of changes is read in order, never concurrently.
    reading = reading.then(async () => {
      if (closed) return;
      // The identity is taken before each read, so a change that lands while
      // (or just after) the file is read still differs from it next time.
      if (synced && (await identity()) === readAs) return;
      try {
        await load();
      } catch (err) {
        problem(`${err instanceof Error ? err.message : String(err)}; keeping the last ${snap.nodes.length} nodes`);
      }
    });
  };
  const onStat = (_now: Stats, _before: Stats): void => poll();

  return {
    async start() {
      await load();
      if (closed || watching) return;
      // A stat poll rather than inotify: it survives the file being replaced
      // (kubectl > file, ConfigMap symlink swaps) and vanishing. libuv stats
      // the path on its pool and compares in C: JS runs only when something
      // changed, not on every poll (an idle agent's baseline, docs/agent.md).
      watching = true;
      watchFile(opts.file, { interval: opts.pollMs ?? 2000, persistent: false }, onStat);
      poll(); // a change between the first read and the watch's first stat
    },
    get synced() {
      return synced && !closed;
    },
    snapshot: () => snap,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (watching) unwatchFile(opts.file, onStat);
      watching = false;
      listeners.clear();
      await reading;
    },
  };
}
