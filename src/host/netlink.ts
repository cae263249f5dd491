// Typed access to the kernel's tables through the addon's rtnetlink dumps.
// The native objects carry a few raw extras (operState, flags); these
// functions return exactly the shapes of types.ts, which pairing exchanges.
import { native } from '../native.js';
import type { NativeFdb, NetlinkTable, RouteLookup } from './netlink-binding.js';
import type { AddrInfo, FdbInfo, LinkInfo, NeighInfo, RouteInfo } from './types.js';

export type { RouteLookup } from './netlink-binding.js';

/** IFF_NOARP from <net/if.h>: the device resolves no link-layer next hop. */
export const IFF_NOARP = 0x80;

export interface LinkWithState extends LinkInfo {
  operState: string;
  flags: number;
}

export function readLinksRaw(): LinkWithState[] {
  return native().netlinkLinks();
}

export function toLinkInfo(l: LinkWithState): LinkInfo {
  const out: LinkInfo = {
    ifindex: l.ifindex,
    name: l.name,
    mac: l.mac,
    mtu: l.mtu,
    up: l.up,
    kind: l.kind,
    masterIndex: l.masterIndex,
  };
  if (l.vxlan) out.vxlan = l.vxlan;
  return out;
}

export function readLinks(): LinkInfo[] {
  return readLinksRaw().map(toLinkInfo);
}

export function readAddrs(): AddrInfo[] {
  return native().netlinkAddrs();
}

/** IPv4 routes of every table (main = 254, local = 255). */
export function readRoutes(): RouteInfo[] {
  return native().netlinkRoutes();
}

export function readNeighbors(): NeighInfo[] {
  return native().netlinkNeighbors();
}

export function readFdb(): FdbInfo[] {
  return native().netlinkFdb().map(toFdbInfo);
}

function toFdbInfo(f: NativeFdb): FdbInfo {
  return {
    ifindex: f.ifindex,
    ifname: f.ifname,
    mac: f.mac,
    dst: f.dst,
    port: f.port,
    vni: f.vni,
    permanent: f.permanent,
  };
}

/** Rows built per turn of the event loop: about a millisecond of work, so timers keep running. */
const ROWS_PER_SLICE = 128;

/**
 * A table read off the JS thread: the netlink socket work runs on a libuv
 * pool thread and the rows are built in slices between turns of the event
 * loop (docs/performance.md). For the agent and other long-lived callers.
 */
async function readTableAsync<T>(table: NetlinkTable): Promise<T[]> {
  const n = native();
  const handle = await n.netlinkTableAsync(table);
  const rows: T[] = [];
  for (;;) {
    const slice = n.netlinkTableTake<T>(handle, ROWS_PER_SLICE);
    for (const r of slice.rows) rows.push(r);
    if (slice.left === 0) return rows;
    await new Promise((r) => setImmediate(r));
  }
}

export const readLinksRawAsync = (): Promise<LinkWithState[]> => readTableAsync<LinkWithState>('links');
export const readAddrsAsync = (): Promise<AddrInfo[]> => readTableAsync<AddrInfo>('addrs');
export const readRoutesAsync = (): Promise<RouteInfo[]> => readTableAsync<RouteInfo>('routes');
export const readNeighborsAsync = (): Promise<NeighInfo[]> => readTableAsync<NeighInfo>('neighbors');
export async function readFdbAsync(): Promise<FdbInfo[]> {
  return (await readTableAsync<NativeFdb>('fdb')).map(toFdbInfo);
}

export function routeGet(dst: string, oif?: number): RouteLookup {
  return native().routeGet(dst, oif);
}

/** routeGet off the JS thread (a libuv pool thread makes the request). */
export function routeGetAsync(dst: string, oif?: number): Promise<RouteLookup> {
  return native().routeGetAsync(dst, oif);
}

export function neighborGet(ip: string, ifindex: number): NeighInfo | null {
  return native().neighborGet(ip, ifindex);
}

export function neighborResolve(ip: string, ifindex: number): void {
  native().neighborResolve(ip, ifindex);
}

/** neighborGet off the JS thread: pairing polls it every few ms while ARP runs. */
export function neighborGetAsync(ip: string, ifindex: number): Promise<NeighInfo | null> {
  return native().neighborGetAsync(ip, ifindex);
}

/** neighborResolve off the JS thread (rejects with EPERM without CAP_NET_ADMIN). */
export function neighborResolveAsync(ip: string, ifindex: number): Promise<void> {
  return native().neighborResolveAsync(ip, ifindex);
}
