// Shape of the addon's netlink and ethtool exports, as the C++ side defines
// them (native/netlink*.cc, native/ethtool.cc). The objects are LinkInfo &
// co. from types.ts plus a few raw fields the TypeScript layer may drop.
import type { AddrInfo, FdbInfo, LinkInfo, NeighInfo, RouteInfo } from './types.js';

export interface NativeLink extends LinkInfo {
  /** IFLA_OPERSTATE as iproute2 names it, lower case ('up', 'down', 'unknown' ...). */
  operState: string;
  /** ifi_flags (IFF_UP, IFF_NOARP ...). */
  flags: number;
}

export interface NativeFdb extends FdbInfo {
  /** NDA_MASTER: the bridge this entry belongs to, null for device ('self') entries. */
  masterIndex: number | null;
  /** ndm_flags (NTF_SELF = 2, NTF_MASTER = 4 ...). */
  flags: number;
}

/** The kernel's answer to `ip route get DST [oif N]`. */
export interface RouteLookup {
  dst: string;
  ifindex: number | null;
  ifname: string | null;
  gateway: string | null;
  prefsrc: string | null;
  type: string;
  table: number;
}

export interface EthtoolInfo {
  /** ETHTOOL_GDRVINFO driver, null when the device does not answer it. */
  driver: string | null;
  /** Kernel feature name -> active, null when the device has no feature strings. */
  features: Record<string, boolean> | null;
}

export interface NetlinkBinding {
  netlinkLinks(): NativeLink[];
  netlinkAddrs(): AddrInfo[];
  /** IPv4 routes of every table. */
  netlinkRoutes(): RouteInfo[];
  /** IPv4 neighbors. */
  netlinkNeighbors(): NeighInfo[];
  /** AF_BRIDGE FDB of every device (bridges and vxlan devices). */
  netlinkFdb(): NativeFdb[];
  /** Throws a SystemError (ENETUNREACH, EHOSTUNREACH, ENODEV ...) when there is no route. */
  routeGet(dst: string, oif?: number): RouteLookup;
  /** One neighbor entry, null when the kernel has none. */
  neighborGet(ip: string, ifindex: number): NeighInfo | null;
  /** Starts ARP/ND resolution (RTM_NEWNEIGH + NTF_USE); returns at once. */
  neighborResolve(ip: string, ifindex: number): void;
  ethtoolInfo(ifname: string): EthtoolInfo;
  /** ethtoolInfo's ioctls on a libuv pool thread. */
  ethtoolInfoAsync(ifname: string): Promise<EthtoolInfo>;
  /** neighborGet's request on a libuv pool thread (same errors, as a rejection). */
  neighborGetAsync(ip: string, ifindex: number): Promise<NeighInfo | null>;
  /** neighborResolve's request on a libuv pool thread (EPERM without CAP_NET_ADMIN, as a rejection). */
  neighborResolveAsync(ip: string, ifindex: number): Promise<void>;
  /** routeGet's request on a libuv pool thread (same errors, as a rejection). */
  routeGetAsync(dst: string, oif?: number): Promise<RouteLookup>;
  /** Reads a table on a libuv pool thread; resolves with a handle for netlinkTableTake. */
  netlinkTableAsync(table: NetlinkTable): Promise<NetlinkTableHandle>;
  /** Builds the rows of up to `max` more reply messages (on the JS thread). */
  netlinkTableTake<T>(handle: NetlinkTableHandle, max: number): { rows: T[]; left: number };
}

export type NetlinkTable = 'links' | 'addrs' | 'routes' | 'neighbors' | 'fdb';
/** Opaque: the reply messages of one table dump, held natively. */
export type NetlinkTableHandle = { readonly __netlinkTable: unique symbol };
