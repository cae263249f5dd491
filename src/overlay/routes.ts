// Longest-prefix match over the main routing table, as the kernel would
// pick a route for a destination (policy rules aside).
import type { RouteInfo } from '../host/types.js';
import { cidrContainsIp, parseCidr } from './ipv4.js';

const MAIN_TABLE = 254;

export function longestPrefixRoute(routes: RouteInfo[], ip: number): RouteInfo | null {
  let best: RouteInfo | null = null;
  let bestLen = -1;
  for (const r of routes) {
    if (r.table !== MAIN_TABLE) continue;
    const c = r.dst === 'default' ? { base: 0, len: 0 } : parseCidr(r.dst);
    if (!c || c.len <= bestLen || !cidrContainsIp(c, ip)) continue;
    best = r;
    bestLen = c.len;
  }
  return best;
}
