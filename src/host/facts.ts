// Everything pairing and inspect need to know about this host, collected in
// one pass: rtnetlink tables, port owners, sysctls, firewall and offloads.
import { hostname } from 'node:os';
import { CannotRunError, UsageError } from '../errors.js';
import { readFirewall } from './firewall.js';
import {
  readAddrs, readAddrsAsync, readFdb, readFdbAsync, readLinksRaw, readLinksRawAsync, readNeighbors,
  readNeighborsAsync, readRoutes, readRoutesAsync, toLinkInfo, type LinkWithState,
} from './netlink.js';
import { readOffloadsAsync } from './offloads.js';
import { readPortOwners, validatePorts } from './ports.js';
import { readSysctls } from './sysctl.js';
import { keptTables } from './table-cache.js';
import type { AddrInfo, FdbInfo, HostFacts, HostTables, LinkInfo, NeighInfo, RouteInfo } from './types.js';

export interface CollectOptions {
  /** The underlay NIC; default: the default route's device, else the first VXLAN device's underlay. */
  iface?: string;
  /** UDP ports whose holders to report; default: the VXLAN devices' ports (8472 when none). */
  ports?: number[];
}

const MAIN_TABLE = 254;

function pickNic(
  links: readonly LinkInfo[],
  addrs: readonly AddrInfo[],
  routes: readonly RouteInfo[],
  iface: string | undefined,
): { link: LinkInfo; chosenBy: HostFacts['nic']['chosenBy'] } {
  if (iface !== undefined) {
    const link = links.find((l) => l.name === iface);
    if (!link) throw new UsageError(`no such network interface "${iface}" (see \`ip link\`)`);
    return { link, chosenBy: 'argument' };
  }
  const def = routes.find((r) => r.dst === 'default' && r.table === MAIN_TABLE && r.ifindex !== null);
  const viaDefault = def && links.find((l) => l.ifindex === def.ifindex);
  if (viaDefault) return { link: viaDefault, chosenBy: 'default-route' };
  for (const vx of links.filter((l) => l.vxlan)) {
    const byIndex = vx.vxlan!.underlayIndex;
    const holder = addrs.find((a) => a.address === vx.vxlan!.local);
    const index = byIndex ?? holder?.ifindex;
    const link = index === undefined ? undefined : links.find((l) => l.ifindex === index);
    if (link) return { link, chosenBy: 'vxlan-underlay' };
  }
  throw new CannotRunError('cannot tell which NIC carries the overlay (no default route, no VXLAN device with a local IP or underlay): pass --iface');
}

export interface HostFactsInProgress {
  /** The rtnetlink tables, read at once. */
  tables: HostTables;
  /**
   * Everything: the tables plus the firewall (a child process), port owners,
   * sysctls and offloads. Read on the first call (the /proc scans run on the
   * JS thread, so a caller starts them when it would otherwise wait).
   */
  complete(): Promise<HostFacts>;
}

/**
 * Reads the tables now and the rest in the background, so that a caller can
 * plan and probe while the firewall tool runs (docs/performance.md).
 * Usage errors (bad ports, unknown --iface) throw here, not in `complete`.
 */
export function startHostFacts(opts: CollectOptions = {}): HostFactsInProgress {
  if (opts.ports) validatePorts(opts.ports);
  return assemble(opts, readLinksRaw(), readAddrs(), readRoutes(), readNeighbors(), readFdb());
}

/**
 * startHostFacts with the tables read off the JS thread (netlink dumps on
 * the libuv pool), for pairing: a listener or an agent keeps serving its
 * other sessions meanwhile.
 */
export async function startHostFactsAsync(opts: CollectOptions = {}): Promise<HostFactsInProgress> {
  if (opts.ports) validatePorts(opts.ports);
  // A listener or an agent keeps the tables until the kernel announces a change (table-cache.ts).
  const kept = keptTables();
  if (kept) {
    const t = await kept;
    return assemble(opts, t.links, t.addrs, t.routes, t.neighbors, t.fdb);
  }
  const [raw, addrs, routes, neighbors, fdb] = await Promise.all([
    readLinksRawAsync(), readAddrsAsync(), readRoutesAsync(), readNeighborsAsync(), readFdbAsync(),
  ]);
  return assemble(opts, raw, addrs, routes, neighbors, fdb);
}

function assemble(
  opts: CollectOptions,
  raw: readonly LinkWithState[],
  addresses: readonly AddrInfo[],
  routes: readonly RouteInfo[],
  neighbors: readonly NeighInfo[],
  fdb: readonly FdbInfo[],
): HostFactsInProgress {
  const links = raw.map(toLinkInfo);
  const { link: nic, chosenBy } = pickNic(links, addresses, routes, opts.iface);
  const vxlans = links.filter((l) => l.vxlan);
  const ports = opts.ports ?? [...new Set(vxlans.map((l) => l.vxlan!.port))];
  const devices = [nic.name, ...vxlans.map((l) => l.name).filter((n) => n !== nic.name)];
  // rp_filter also on the pod bridges: decapsulated traffic is routed out of them.
  const bridges = links.filter((l) => l.kind === 'bridge' && !devices.includes(l.name)).map((l) => l.name);
  const tables: HostTables = {
    hostname: hostname(),
    nic: {
      name: nic.name,
      ifindex: nic.ifindex,
      mac: nic.mac,
      mtu: nic.mtu,
      addresses: addresses
        .filter((a) => a.ifindex === nic.ifindex)
        .sort((a, b) => a.family - b.family)
        .map((a) => a.address),
      chosenBy,
    },
    links,
    // Kept tables are frozen (table-cache.ts): a caller that writes to one throws instead of corrupting the cache.
    addresses: addresses as AddrInfo[],
    routes: routes as RouteInfo[],
    neighbors: neighbors as NeighInfo[],
    fdb: fdb as FdbInfo[],
  };
  let rest: Promise<HostFacts> | undefined;
  const read = async (): Promise<HostFacts> => {
    const portList = ports.length > 0 ? ports : [8472];
    const slow = await slowFacts(`${devices.join(',')}|${bridges.join(',')}|${portList.join(',')}`, () => readSlowFacts(devices, bridges, portList, links));
    return { ...tables, ...slow };
  };
  return { tables, complete: () => (rest ??= read()) };
}

type SlowFacts = Pick<HostFacts, 'ports' | 'sysctls' | 'offloads' | 'firewall'>;

async function readSlowFacts(devices: string[], bridges: string[], ports: number[], links: LinkInfo[]): Promise<SlowFacts> {
  // The firewall tools run as child processes: let them overlap the /proc scans.
  const firewall = readFirewall();
  const offloads = readOffloadsAsync(devices);
  const others = { ports: readPortOwners(ports, links), sysctls: readSysctls([...devices, ...bridges]) };
  return { ...others, offloads: await offloads, firewall: await firewall };
}

/**
 * The slow facts (three firewall tools as child processes, /proc scans, ethtool)
 * cost far more than the netlink tables and change rarely. A one-shot CLI reads
 * them fresh; an agent pairing with many peers every interval reuses them for a
 * while (reuseSlowHostFacts), so its CPU stays near idle (docs/agent.md,
 * "Budgets"). The tables, which carry every VTEP mapping, are always current:
 * read fresh, or kept up to date by the kernel's announcements (table-cache.ts).
 */
let slowMaxAgeMs = 0;
let slowCache: { key: string; at: number; value: Promise<SlowFacts> } | null = null;

export function reuseSlowHostFacts(maxAgeMs: number): void {
  slowMaxAgeMs = Math.max(0, maxAgeMs);
  slowCache = null;
}

function slowFacts(key: string, read: () => Promise<SlowFacts>): Promise<SlowFacts> {
  const now = Date.now();
  if (slowMaxAgeMs > 0 && slowCache && slowCache.key === key && now - slowCache.at < slowMaxAgeMs) return slowCache.value;
  const value = read();
  if (slowMaxAgeMs > 0) {
    const entry = { key, at: now, value };
    slowCache = entry;
    // A failed read is not kept: the next caller tries again.
    value.catch(() => {
      if (slowCache === entry) slowCache = null;
    });
  }
  return value;
}

export async function collectHostFacts(opts: CollectOptions = {}): Promise<HostFacts> {
  return startHostFacts(opts).complete();
}
