// The rtnetlink tables for a process that reads them again and again (a
// listener, an agent): kept between reads and read again only after the
// kernel announced a change (native/netlink_watch.cc). Neighbor states change
// every few seconds (reachable, stale, delay, probe), so IPv4 neighbor
// announcements are applied to the kept table in place; any other one (a
// link, an address, a route, a rule, an FDB entry), or a lost one, means a
// fresh read of every table. The kept tables are frozen: facts built from
// them share them. docs/agent.md, "Budgets".
import { native } from '../native.js';
import { readAddrsAsync, readFdbAsync, readLinksRawAsync, readNeighborsAsync, readRoutesAsync, type LinkWithState } from './netlink.js';
import type { AddrInfo, FdbInfo, NeighInfo, RouteInfo } from './types.js';

export interface RawTables {
  readonly links: readonly LinkWithState[];
  readonly addrs: readonly AddrInfo[];
  readonly routes: readonly RouteInfo[];
  readonly neighbors: readonly NeighInfo[];
  readonly fdb: readonly FdbInfo[];
}

type WatchHandle = { readonly __netlinkWatch: unique symbol };
interface Announcements {
  reset: boolean;
  neighbors: (NeighInfo & { deleted: boolean })[];
}
interface WatchBinding {
  netlinkWatchOpen(): WatchHandle;
  netlinkWatchTake(handle: WatchHandle): Announcements;
  netlinkWatchClose(handle: WatchHandle): void;
}
const binding = () => native() as unknown as WatchBinding;

let users = 0;
let watch: WatchHandle | null = null;
let kept: Promise<RawTables> | null = null;
/** Counts fresh reads: what is derived from the tables (a route lookup) is kept per epoch. */
let epoch = 0;

/**
 * Keeps the tables between reads until the returned function is called (a
 * listener or an agent, for as long as it runs). Nested holds share one
 * watch; without any, every read is fresh. When the kernel refuses the
 * announcement socket, reads stay fresh.
 */
export function holdTables(): () => void {
  users += 1;
  if (users === 1) {
    try {
      watch = binding().netlinkWatchOpen();
    } catch {
      watch = null;
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    users -= 1;
    if (users === 0) {
      if (watch) binding().netlinkWatchClose(watch);
      watch = null;
      kept = null;
    }
  };
}

/** The kept tables, brought up to date; null when nobody holds them (read fresh instead). */
export function keptTables(): Promise<RawTables> | null {
  if (!watch) return null;
  let news: Announcements;
  try {
    news = binding().netlinkWatchTake(watch);
  } catch {
    news = { reset: true, neighbors: [] };
  }
  if (news.reset || !kept) {
    epoch += 1;
    const reading = readAll();
    kept = reading;
    // A failed read is not kept: the next caller tries again.
    reading.catch(() => {
      if (kept === reading) kept = null;
    });
  } else if (news.neighbors.length > 0) {
    // Announcements are states, so applying one the read already saw changes nothing.
    kept = kept.then((t) => withNeighbors(t, news.neighbors));
  }
  return kept;
}

/** Which read the kept tables come from (changes with every fresh read). */
export function tablesEpoch(): number {
  return epoch;
}

async function readAll(): Promise<RawTables> {
  const [links, addrs, routes, neighbors, fdb] = await Promise.all([
    readLinksRawAsync(), readAddrsAsync(), readRoutesAsync(), readNeighborsAsync(), readFdbAsync(),
  ]);
  return Object.freeze({
    links: frozenRows(links), addrs: frozenRows(addrs), routes: frozenRows(routes), neighbors: frozenRows(neighbors), fdb: frozenRows(fdb),
  });
}

function withNeighbors(t: RawTables, news: Announcements['neighbors']): RawTables {
  const neighbors = [...t.neighbors];
  for (const { deleted, ...row } of news) {
    const at = neighbors.findIndex((n) => n.ifindex === row.ifindex && n.ip === row.ip);
    if (deleted) {
      if (at >= 0) neighbors.splice(at, 1);
      continue;
    }
    // The announcement carries no device name: the kept links know it.
    const named = { ...row, ifname: t.links.find((l) => l.ifindex === row.ifindex)?.name ?? row.ifname };
    deepFreeze(named);
    if (at >= 0) neighbors[at] = named;
    else neighbors.push(named);
  }
  return Object.freeze({ ...t, neighbors: Object.freeze(neighbors) });
}

function frozenRows<T>(rows: T[]): readonly T[] {
  for (const r of rows) deepFreeze(r);
  return Object.freeze(rows);
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
