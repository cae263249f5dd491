// Peer selection for the agent (docs/agent.md, "Who probes whom"): a pure,
// deterministic function of the node list and the epoch, so every agent
// computes the same sets for the whole cluster without talking to anyone —
// and therefore also knows who is supposed to be probing *it*.
//
//   ring:   each node probes its K successors on a hash ring; every node is
//           probed by exactly K others (N <= K+1: everyone probes everyone).
//   random: a few extra peers per node, re-drawn every epoch, so over time
//           every pair gets looked at.
//   domain: one representative of every other failure domain (zone label,
//           else the underlay /24), at most `domainCap` targets per domain
//           pair and `domainBudget` domain peers per prober, rotated by epoch,
//           so a small domain is never probed by the whole cluster.

export type SelectionReason = 'ring' | 'random' | 'domain';

export interface SelectionNode {
  name: string;
  /** Underlay IPv4 the node is probed at. */
  ip: string;
  /** Failure domain label (zone), or null to use the underlay /24. */
  zone: string | null;
}

export interface SelectionOptions {
  /** Ring successors per node (every node is probed by exactly k others). */
  k: number;
  /** Random extra peers per node per epoch. */
  randomPeers: number;
  /** Most domain peers one node probes. */
  domainBudget: number;
  /** Most targets per (source domain, target domain) pair. */
  domainCap: number;
  /** Rotation counter (e.g. floor(now / epochMs)); the same on every agent. */
  epoch: number;
}

export const DEFAULT_SELECTION: Omit<SelectionOptions, 'epoch'> = { k: 3, randomPeers: 2, domainBudget: 2, domainCap: 2 };

export interface Edge {
  peer: string;
  /** Why: the first reason that picked the peer, in the order ring, domain, random. */
  reason: SelectionReason;
}

export interface Selection {
  /** Everyone probes everyone (N <= k+1). */
  full: boolean;
  /** prober -> the peers it probes. */
  outbound: Map<string, Edge[]>;
  /** target -> who probes it (edge.peer is the prober). */
  inbound: Map<string, Edge[]>;
  /** Failure domain of every node. */
  domains: Map<string, string>;
}

/** FNV-1a over the string, then murmur3's finaliser: cheap, well mixed, identical everywhere. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function domainOf(node: SelectionNode): string {
  if (node.zone) return `zone:${node.zone}`;
  const parts = node.ip.split('.');
  return `net:${parts.slice(0, 3).join('.')}.0/24`;
}

/** Sorted by hash of `seed + name`, ties by name: a stable, seed-specific order. */
function hashOrder(names: string[], seed: string): string[] {
  return names
    .map((name) => ({ name, h: hash32(`${seed}\u0000${name}`) }))
    .sort((a, b) => a.h - b.h || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((x) => x.name);
}

function validate(opts: SelectionOptions): void {
  for (const key of ['k', 'randomPeers', 'domainBudget', 'domainCap', 'epoch'] as const) {
    const v = opts[key];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`selection ${key} must be a non-negative integer, got ${v}`);
  }
  if (opts.k < 1) throw new RangeError('selection k must be at least 1');
}

export function selectAll(input: SelectionNode[], opts: SelectionOptions): Selection {
  validate(opts);
  const byName = new Map<string, SelectionNode>();
  for (const n of input) if (!byName.has(n.name)) byName.set(n.name, n);
  const ring = hashOrder([...byName.keys()], 'ring');
  const n = ring.length;
  const outbound = new Map<string, Edge[]>(ring.map((name) => [name, []]));
  const picked = new Map<string, Set<string>>(ring.map((name) => [name, new Set()]));
  const domains = new Map(ring.map((name) => [name, domainOf(byName.get(name)!)]));
  const add = (from: string, to: string, reason: SelectionReason): boolean => {
    const set = picked.get(from)!;
    if (from === to || set.has(to)) return false;
    set.add(to);
    outbound.get(from)!.push({ peer: to, reason });
    return true;
  };

  const full = n <= opts.k + 1;
  const k = Math.min(opts.k, n - 1);
  ring.forEach((name, i) => {
    for (let j = 1; j <= k; j++) add(name, ring[(i + j) % n]!, 'ring');
  });

  if (!full) {
    selectDomains(ring, domains, opts, add);
    selectRandom(ring, opts, picked, add);
  }

  const inbound = new Map<string, Edge[]>(ring.map((name) => [name, []]));
  for (const [from, edges] of outbound) for (const e of edges) inbound.get(e.peer)!.push({ peer: from, reason: e.reason });
  return { full, outbound, inbound, domains };
}

function selectDomains(
  ring: string[],
  domains: Map<string, string>,
  opts: SelectionOptions,
  add: (from: string, to: string, reason: SelectionReason) => boolean,
): void {
  if (opts.domainBudget === 0 || opts.domainCap === 0) return;
  const members = new Map<string, string[]>();
  for (const name of ring) {
    const d = domains.get(name)!;
    let list = members.get(d);
    if (!list) members.set(d, (list = []));
    list.push(name);
  }
  if (members.size < 2) return;
  const domainNames = [...members.keys()].sort();
  for (const source of domainNames) {
    const probers = hashOrder(members.get(source)!, `probers\u0000${source}\u0000${opts.epoch}`);
    const budget = new Map(probers.map((p) => [p, opts.domainBudget]));
    let capacity = probers.length * opts.domainBudget;
    const others = domainNames.filter((d) => d !== source);
    // Rotated by epoch so that, with more domains than budget, every domain pair gets its turn.
    const start = hash32(`domains\u0000${source}\u0000${opts.epoch}`) % others.length;
    let cursor = 0;
    for (let t = 0; t < others.length && capacity > 0; t++) {
      const target = others[(start + t) % others.length]!;
      const candidates = hashOrder(members.get(target)!, `targets\u0000${source}\u0000${target}\u0000${opts.epoch}`);
      const count = Math.min(opts.domainCap, candidates.length);
      for (let c = 0; c < count && capacity > 0; c++) {
        // Next prober with budget left, round robin: spreads the work over the domain.
        for (let tries = 0; tries < probers.length; tries++) {
          const prober = probers[cursor % probers.length]!;
          cursor++;
          if (budget.get(prober)! === 0) continue;
          budget.set(prober, budget.get(prober)! - 1);
          capacity--;
          add(prober, candidates[c]!, 'domain');
          break;
        }
      }
    }
  }
}

function selectRandom(
  ring: string[],
  opts: SelectionOptions,
  picked: Map<string, Set<string>>,
  add: (from: string, to: string, reason: SelectionReason) => boolean,
): void {
  const n = ring.length;
  for (const name of ring) {
    const room = n - 1 - picked.get(name)!.size;
    const want = Math.min(opts.randomPeers, room);
    for (let j = 0; j < want; j++) {
      let idx = hash32(`random\u0000${name}\u0000${opts.epoch}\u0000${j}`) % n;
      // Linear probing from a hashed start: deterministic and terminates (room > 0).
      while (!add(name, ring[idx]!, 'random')) idx = (idx + 1) % n;
    }
  }
}
