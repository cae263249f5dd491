// Everything pairing and inspect need to know about this host, collected in
// one pass: rtnetlink tables, port owners, sysctls, firewall and offloads.
import { hostname } from 'node:os';
import { CannotRunError, UsageError } from '../errors.js';
import { readFirewall } from './firewall.js';
import { readAddrs, readFdb, readLinksRaw, readNeighbors, readRoutes, toLinkInfo } from './netlink.js';
import { readOffloads } from './offloads.js';
import { readPortOwners, validatePorts } from './ports.js';
import { readSysctls } from './sysctl.js';
import type { AddrInfo, HostFacts, HostTables, LinkInfo, RouteInfo } from './types.js';

export interface CollectOptions {
  /** The underlay NIC; default: the default route's device, else the first VXLAN device's underlay. */
  iface?: string;
  /** UDP ports whose holders to report; default: the VXLAN devices' ports (8472 when none). */
  ports?: number[];
}

const MAIN_TABLE = 254;

function pickNic(
  links: LinkInfo[],
  addrs: AddrInfo[],
  routes: RouteInfo[],
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
  /** Everything: the tables plus the firewall (a child process), port owners, sysctls and offloads. */
  complete: Promise<HostFacts>;
}

/**
 * Reads the tables now and the rest in the background, so that a caller can
 * plan and probe while the firewall tool runs (docs/performance.md).
 * Usage errors (bad ports, unknown --iface) throw here, not in `complete`.
 */
export function startHostFacts(opts: CollectOptions = {}): HostFactsInProgress {
  if (opts.ports) validatePorts(opts.ports);
  const raw = readLinksRaw();
  const links = raw.map(toLinkInfo);
  const addresses = readAddrs();
  const routes = readRoutes();
  const { link: nic, chosenBy } = pickNic(links, addresses, routes, opts.iface);
  const vxlans = links.filter((l) => l.vxlan);
  const ports = opts.ports ?? [...new Set(vxlans.map((l) => l.vxlan!.port))];
  const devices = [nic.name, ...vxlans.map((l) => l.name).filter((n) => n !== nic.name)];
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
    addresses,
    routes,
    neighbors: readNeighbors(),
    fdb: readFdb(),
  };
  const complete = (async (): Promise<HostFacts> => {
    // Yield first: the caller goes on (connects, plans) before the scans run.
    await new Promise((r) => setImmediate(r));
    // The firewall tool runs as a child process: let it overlap the /proc scans.
    const firewall = readFirewall();
    const rest = {
      ports: readPortOwners(ports.length > 0 ? ports : [8472], links),
      sysctls: readSysctls(devices),
      offloads: readOffloads(devices),
    };
    return { ...tables, ...rest, firewall: await firewall };
  })();
  // Awaited by the caller later; never an unhandled rejection meanwhile.
  complete.catch(() => {});
  return { tables, complete };
}

export async function collectHostFacts(opts: CollectOptions = {}): Promise<HostFacts> {
  return startHostFacts(opts).complete;
}
