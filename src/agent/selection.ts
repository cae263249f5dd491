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
  /** prober -> the peers it probes (whole cluster, built on first use). */
  readonly outbound: Map<string, Edge[]>;
  /** target -> who probes it (edge.peer is the prober; built on first use). */
  readonly inbound: Map<string, Edge[]>;
  /** Failure domain of every node. */
  readonly domains: Map<string, string>;
  /** One node's peers, without building the whole-cluster map. */
  outboundOf(name: string): Edge[];
  /** Who probes one node, without building the whole-cluster map. */
  inboundOf(name: string): Edge[];
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

/** Mixes an integer seed into a name's hash: murmur3's finaliser over the xor. */
function mix(h: number, seed: number): number {
  let x = (h ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Node indices sorted by their name hash mixed with `seed`, ties by name: a stable, seed-specific order. */
function hashOrder(idx: number[], hashes: Uint32Array, names: string[], seed: number): number[] {
  const keys = idx.map((i) => ({ i, h: mix(hashes[i]!, seed) }));
  keys.sort((a, b) => a.h - b.h || (names[a.i]! < names[b.i]! ? -1 : names[a.i]! > names[b.i]! ? 1 : 0));
  return keys.map((k) => k.i);
}

function validate(opts: SelectionOptions): void {
  for (const key of ['k', 'randomPeers', 'domainBudget', 'domainCap', 'epoch'] as const) {
    const v = opts[key];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`selection ${key} must be a non-negative integer, got ${v}`);
  }
  if (opts.k < 1) throw new RangeError('selection k must be at least 1');
}

/** Per-node outgoing picks as small arrays of ring positions (at most K + random + budget each). */
type Picks = { peer: number; reason: SelectionReason }[][];

export function selectAll(input: SelectionNode[], opts: SelectionOptions): Selection {
  validate(opts);
  const byName = new Map<string, SelectionNode>();
  for (const n of input) if (!byName.has(n.name)) byName.set(n.name, n);
  const allNames = [...byName.keys()];
  const nameHashes = new Uint32Array(allNames.map((name) => hash32(name)));
  // Ring positions: everything below works on indices into `ring`.
  const ringIdx = hashOrder(allNames.map((_, i) => i), nameHashes, allNames, 0x52494e47);
  const ring = ringIdx.map((i) => allNames[i]!);
  const hashes = new Uint32Array(ringIdx.map((i) => nameHashes[i]!));
  const n = ring.length;
  const picks: Picks = ring.map(() => []);
  const add = (from: number, to: number, reason: SelectionReason): boolean => {
    if (from === to) return false;
    const list = picks[from]!;
    for (const p of list) if (p.peer === to) return false;
    list.push({ peer: to, reason });
    return true;
  };

  const full = n <= opts.k + 1;
  const k = Math.min(opts.k, n - 1);
  for (let i = 0; i < n; i++) for (let j = 1; j <= k; j++) add(i, (i + j) % n, 'ring');

  const domainNames = ring.map((name) => domainOf(byName.get(name)!));
  if (!full) {
    selectDomains(ring, hashes, domainNames, opts, add);
    selectRandom(n, hashes, opts, picks, add);
  }

  // Whole-cluster maps are built on first use only: an agent needs its own row and column.
  const position = new Map(ring.map((name, i) => [name, i]));
  let outbound: Map<string, Edge[]> | null = null;
  let inbound: Map<string, Edge[]> | null = null;
  let domains: Map<string, string> | null = null;
  const outboundAt = (i: number): Edge[] => picks[i]!.map((p) => ({ peer: ring[p.peer]!, reason: p.reason }));
  return {
    full,
    get outbound() {
      return (outbound ??= new Map(ring.map((name, i) => [name, outboundAt(i)])));
    },
    get inbound() {
      if (!inbound) {
        const lists: Edge[][] = ring.map(() => []);
        for (let i = 0; i < n; i++) for (const p of picks[i]!) lists[p.peer]!.push({ peer: ring[i]!, reason: p.reason });
        inbound = new Map(ring.map((name, i) => [name, lists[i]!]));
      }
      return inbound;
    },
    get domains() {
      return (domains ??= new Map(ring.map((name, i) => [name, domainNames[i]!])));
    },
    outboundOf(name) {
      const i = position.get(name);
      return i === undefined ? [] : outboundAt(i);
    },
    inboundOf(name) {
      const target = position.get(name);
      if (target === undefined) return [];
      const out: Edge[] = [];
      for (let i = 0; i < n; i++) for (const p of picks[i]!) if (p.peer === target) out.push({ peer: ring[i]!, reason: p.reason });
      return out;
    },
  };
}

function selectDomains(
  ring: string[],
  hashes: Uint32Array,
  domainNames: string[],
  opts: SelectionOptions,
  add: (from: number, to: number, reason: SelectionReason) => boolean,
): void {
  if (opts.domainBudget === 0 || opts.domainCap === 0) return;
  const members = new Map<string, number[]>();
  domainNames.forEach((d, i) => {
    let list = members.get(d);
    if (!list) members.set(d, (list = []));
    list.push(i);
  });
  if (members.size < 2) return;
  const sorted = [...members.keys()].sort();
  const domainHash = new Map(sorted.map((d) => [d, hash32(d)]));
  for (const source of sorted) {
    const seed = mix(domainHash.get(source)!, opts.epoch);
    const probers = hashOrder(members.get(source)!, hashes, ring, seed);
    const budget = new Map(probers.map((p) => [p, opts.domainBudget]));
    let capacity = probers.length * opts.domainBudget;
    const others = sorted.filter((d) => d !== source);
    // Rotated by epoch so that, with more domains than budget, every domain pair gets its turn.
    const start = mix(seed, 0x444f4d) % others.length;
    let cursor = 0;
    for (let t = 0; t < others.length && capacity > 0; t++) {
      const target = others[(start + t) % others.length]!;
      const targetMembers = members.get(target)!;
      const count = Math.min(opts.domainCap, targetMembers.length);
      // Only the first `count` of the seeded order are needed: pick them without sorting the whole domain.
      const candidates = count * 4 < targetMembers.length
        ? smallestByHash(targetMembers, hashes, ring, mix(seed, domainHash.get(target)!), count)
        : hashOrder(targetMembers, hashes, ring, mix(seed, domainHash.get(target)!));
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

/** The `count` first indices of hashOrder(idx, seed), in that order, in one pass. */
function smallestByHash(idx: number[], hashes: Uint32Array, names: string[], seed: number, count: number): number[] {
  const best: { i: number; h: number }[] = [];
  const before = (a: { i: number; h: number }, b: { i: number; h: number }) => a.h < b.h || (a.h === b.h && names[a.i]! < names[b.i]!);
  for (const i of idx) {
    const cand = { i, h: mix(hashes[i]!, seed) };
    if (best.length === count && !before(cand, best[count - 1]!)) continue;
    let pos = best.length === count ? count - 1 : best.length;
    best[pos] = cand;
    while (pos > 0 && before(best[pos]!, best[pos - 1]!)) {
      [best[pos], best[pos - 1]] = [best[pos - 1]!, best[pos]!];
      pos--;
    }
  }
  return best.map((b) => b.i);
}

function selectRandom(
  n: number,
  hashes: Uint32Array,
  opts: SelectionOptions,
  picks: Picks,
  add: (from: number, to: number, reason: SelectionReason) => boolean,
): void {
  for (let i = 0; i < n; i++) {
    const room = n - 1 - picks[i]!.length;
    const want = Math.min(opts.randomPeers, room);
    const seed = mix(hashes[i]!, opts.epoch);
    for (let j = 0; j < want; j++) {
      let idx = mix(seed, j + 1) % n;
      // Linear probing from a hashed start: deterministic and terminates (room > 0).
      while (!add(i, idx, 'random')) idx = (idx + 1) % n;
    }
  }
}
