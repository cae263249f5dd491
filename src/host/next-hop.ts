// The wire path's next hop: which NIC, source IP/MAC and next-hop MAC the
// kernel itself would use to reach a destination (route lookup, then the
// neighbor table, triggering ARP when the entry is missing or failed). Every
// netlink request runs on a libuv pool thread, so pairing, an agent's HTTP
// server and its control sessions keep being served (docs/performance.md).
import { isIPv4 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CannotRunError, UsageError, explainSystemError, isSystemError } from '../errors.js';
import { IFF_NOARP, neighborGetAsync, neighborResolveAsync, readLinksRawAsync, routeGetAsync } from './netlink.js';
import type { RouteLookup } from './netlink.js';
import { keptTables, tablesEpoch } from './table-cache.js';
import type { NeighInfo } from './types.js';
import { buildFrame } from '../wire/frame.js';
import { RoutedSender } from '../wire/routed.js';

export interface NextHop {
  dst: string;
  ifname: string;
  ifindex: number;
  srcIp: string;
  srcMac: string;
  /** The gateway when the route has one, else dst itself. */
  nextHopIp: string;
  nextHopMac: string;
}

export interface NextHopOptions {
  /** The NIC the caller means to send on; an error when the route disagrees. */
  iface?: string;
  /** How long to wait for ARP when the neighbor is unknown (default 1000 ms). */
  timeoutMs?: number;
}

const POLL_MS = 5;
// States in which the kernel itself would send to the entry's MAC right away.
const USABLE = new Set(['reachable', 'stale', 'delay', 'probe', 'permanent', 'noarp']);

function usable(n: NeighInfo | null): n is NeighInfo & { mac: string } {
  return !!n && n.mac !== null && n.state.some((s) => USABLE.has(s));
}

async function lookupRoute(dst: string): Promise<RouteLookup> {
  try {
    return await routeGetAsync(dst);
  } catch (err) {
    if (isSystemError(err)) {
      if (['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EACCES', 'EINVAL'].includes(err.code ?? '')) {
        throw new CannotRunError(`no route to ${dst}`, { cause: err });
      }
      throw new CannotRunError(explainSystemError(err, dst), { cause: err });
    }
    throw err;
  }
}

/**
 * Route lookups while the tables are kept: valid until the next fresh read
 * of the tables (any link, address, route or rule change), which is also
 * everything the kernel's answer depends on.
 */
const keptRoutes = new Map<string, Promise<RouteLookup>>();
let keptRoutesEpoch = -1;
const MAX_KEPT_ROUTES = 4096;

function keptRoute(dst: string): Promise<RouteLookup> {
  if (keptRoutesEpoch !== tablesEpoch() || keptRoutes.size >= MAX_KEPT_ROUTES) {
    keptRoutes.clear();
    keptRoutesEpoch = tablesEpoch();
  }
  let route = keptRoutes.get(dst);
  if (!route) {
    const looking = lookupRoute(dst);
    route = looking;
    keptRoutes.set(dst, looking);
    // Errors are not kept: the next caller looks again.
    looking.catch(() => {
      if (keptRoutes.get(dst) === looking) keptRoutes.delete(dst);
    });
  }
  return route;
}

export async function resolveNextHop(dst: string, opts: NextHopOptions = {}): Promise<NextHop> {
  if (!isIPv4(dst)) throw new UsageError(`not an IPv4 address: "${dst}"`);
  const timeoutMs = opts.timeoutMs ?? 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new UsageError(`timeout must be a non-negative number of milliseconds, got ${timeoutMs}`);
  }
  // A listener or an agent keeps the tables until the kernel announces a change (table-cache.ts).
  const kept = keptTables();
  const tables = kept ? await kept : null;
  const links = tables?.links ?? (await readLinksRawAsync());
  const wanted = opts.iface === undefined ? undefined : links.find((l) => l.name === opts.iface);
  if (opts.iface !== undefined && !wanted) {
    throw new UsageError(`no such network interface "${opts.iface}" (see \`ip link\`)`);
  }

  const route = tables ? await keptRoute(dst) : await lookupRoute(dst);
  if (route.type === 'local') throw new CannotRunError(`${dst} is an address of this host`);
  if (route.type !== 'unicast' || route.ifindex === null) {
    throw new CannotRunError(`no route to ${dst} (the route is of type ${route.type})`);
  }
  const link = links.find((l) => l.ifindex === route.ifindex);
  const ifname = link?.name ?? route.ifname ?? `ifindex ${route.ifindex}`;
  if (wanted && wanted.ifindex !== route.ifindex) {
    throw new CannotRunError(`route to ${dst} leaves through ${ifname}, not ${wanted.name}`);
  }
  if (!link || !link.mac || link.flags & IFF_NOARP) {
    throw new CannotRunError(`route to ${dst} leaves through ${ifname}, which has no Ethernet next hop`);
  }
  const srcIp = route.prefsrc;
  if (!srcIp) throw new CannotRunError(`${ifname} has no IPv4 address to send ${dst} from`);

  const nextHopIp = route.gateway ?? dst;
  const known = tables?.neighbors.find((n) => n.ifindex === route.ifindex && n.ip === nextHopIp) ?? null;
  const nextHopMac = usable(known) ? known.mac : await resolveNeighbor(nextHopIp, route.ifindex, ifname, timeoutMs, srcIp);
  return { dst, ifname, ifindex: route.ifindex, srcIp, srcMac: link.mac, nextHopIp, nextHopMac };
}

async function resolveNeighbor(
  ip: string,
  ifindex: number,
  ifname: string,
  timeoutMs: number,
  srcIp: string,
): Promise<string> {
  let entry = await neighborGetAsync(ip, ifindex);
  if (usable(entry)) return entry.mac;
  await startResolution(ip, ifindex, srcIp);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    entry = await neighborGetAsync(ip, ifindex);
    if (usable(entry)) return entry.mac;
    if (Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  const state = entry ? ` (neighbor state ${entry.state.join(',')})` : '';
  throw new CannotRunError(`${ip} did not answer ARP on ${ifname}${state}`);
}

/**
 * Asks the kernel to resolve `ip`: RTM_NEWNEIGH with NTF_USE when we hold
 * CAP_NET_ADMIN (only the ARP request goes out). Without it, as in the agent's
 * pod, which has CAP_NET_RAW only (docs/shipping.md), one ICMP echo to the
 * next hop through the routed path queues behind ARP exactly as any packet
 * would: the same resolution, plus one echo to a host we are about to probe
 * or route through anyway.
 */
async function startResolution(ip: string, ifindex: number, srcIp: string): Promise<void> {
  try {
    await neighborResolveAsync(ip, ifindex);
    return;
  } catch (err) {
    if (!isSystemError(err) || (err.code !== 'EPERM' && err.code !== 'EACCES')) throw err;
  }
  const echo = buildFrame({ layer: 'ipv4', srcIp, dstIp: ip, icmp: { type: 8, id: process.pid & 0xffff, seq: 0 } });
  const sender = RoutedSender.open();
  try {
    await sender.send(echo);
  } catch {
    // Unreachable or refused: the poll below reports the neighbor's state.
  } finally {
    sender.close();
  }
}
