// Kept rtnetlink tables (src/host/table-cache.ts), inside one lab node's
// namespace: every read while held must equal a fresh dump, whatever changed
// in between (a neighbor, an FDB entry, a route, an address, a link), and
// only a non-neighbor change may cost a fresh read. argv: JSON {peer}.
// Prints one JSON line of observations; the test judges them.
import { execFileSync } from 'node:child_process';
import { startHostFactsAsync } from '../../../src/host/facts.js';
import { resolveNextHop } from '../../../src/host/next-hop.js';
import { readAddrs, readFdb, readLinksRaw, readNeighbors, readRoutes } from '../../../src/host/netlink.js';
import { holdTables, tablesEpoch } from '../../../src/host/table-cache.js';

const { peer } = JSON.parse(process.argv[2] ?? '{}') as { peer: string };
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const bridge = (...args: string[]) => execFileSync('bridge', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const byKey = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

/** Reads through the kept tables and checks them against a fresh dump; returns whether a fresh read happened. */
async function keptMatchesFresh(step: string): Promise<{ step: string; reread: boolean; same: boolean; diff?: string }> {
  const epoch = tablesEpoch();
  const t = (await startHostFactsAsync({ iface: 'eth0' })).tables;
  const fresh = { links: readLinksRaw().length, addresses: readAddrs(), routes: readRoutes(), neighbors: readNeighbors(), fdb: readFdb() };
  const kept = { links: t.links.length, addresses: t.addresses, routes: t.routes, neighbors: t.neighbors, fdb: t.fdb };
  const diff = (Object.keys(fresh) as (keyof typeof fresh)[]).find((k) => {
    const a = fresh[k];
    const b = kept[k];
    return typeof a === 'number' ? a !== b : JSON.stringify(byKey(a)) !== JSON.stringify(byKey(b as unknown[]));
  });
  return { step, reread: tablesEpoch() !== epoch, same: diff === undefined, ...(diff ? { diff } : {}) };
}

// A fresh namespace's IPv6 link-local addresses finish duplicate address
// detection a second or two after the link came up, and that address
// announcement rightly costs a fresh read: if it landed amid the neighbor
// steps below it would read as theirs. Wait until none is tentative.
for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
  if (execFileSync('ip', ['-6', 'addr', 'show', 'tentative'], { encoding: 'utf8' }).trim() === '') break;
}

const release = holdTables();
const steps = [];
steps.push(await keptMatchesFresh('first read'));
steps.push(await keptMatchesFresh('unchanged'));
ip('neigh', 'replace', '192.168.1.250', 'lladdr', '02:aa:00:00:00:01', 'dev', 'eth0', 'nud', 'reachable');
steps.push(await keptMatchesFresh('neighbor added'));
ip('neigh', 'replace', '192.168.1.250', 'lladdr', '02:aa:00:00:00:02', 'dev', 'eth0', 'nud', 'stale');
steps.push(await keptMatchesFresh('neighbor changed'));
ip('neigh', 'del', '192.168.1.250', 'dev', 'eth0');
steps.push(await keptMatchesFresh('neighbor deleted'));
bridge('fdb', 'append', '00:00:00:00:00:00', 'dst', '192.168.1.251', 'dev', 'flannel.1');
steps.push(await keptMatchesFresh('fdb entry added'));
ip('route', 'add', '10.250.0.0/24', 'via', peer, 'dev', 'eth0');
steps.push(await keptMatchesFresh('route added'));
ip('addr', 'add', '192.168.77.1/32', 'dev', 'eth0');
steps.push(await keptMatchesFresh('address added'));
ip('link', 'set', 'dev', 'flannel.1', 'mtu', '1400');
steps.push(await keptMatchesFresh('link changed'));
steps.push(await keptMatchesFresh('unchanged again'));

// The next hop follows a neighbor entry that changed under it.
const hop1 = await resolveNextHop(peer, { iface: 'eth0' });
const realMac = hop1.nextHopMac;
ip('neigh', 'replace', peer, 'lladdr', '02:aa:00:00:00:03', 'dev', 'eth0', 'nud', 'permanent');
const hop2 = await resolveNextHop(peer, { iface: 'eth0' });
ip('neigh', 'replace', peer, 'lladdr', realMac, 'dev', 'eth0', 'nud', 'reachable');
const hop3 = await resolveNextHop(peer, { iface: 'eth0' });
// The route to it follows a route change.
ip('route', 'add', `${peer}/32`, 'via', '192.168.1.250', 'dev', 'eth0', 'onlink');
ip('neigh', 'replace', '192.168.1.250', 'lladdr', '02:aa:00:00:00:04', 'dev', 'eth0', 'nud', 'permanent');
const hop4 = await resolveNextHop(peer, { iface: 'eth0' });

let frozen = '';
try {
  (await startHostFactsAsync({ iface: 'eth0' })).tables.neighbors.push({ ifindex: 1, ifname: 'x', ip: '1.1.1.1', mac: null, state: [] });
} catch (err) {
  frozen = (err as Error).constructor.name;
}
release();
const epoch = tablesEpoch();
await startHostFactsAsync({ iface: 'eth0' });
const releasedReadsFresh = tablesEpoch() === epoch;

console.log(JSON.stringify({
  steps,
  hops: [hop1, hop2, hop3, hop4].map((h) => ({ nextHopIp: h.nextHopIp, nextHopMac: h.nextHopMac })),
  realMac, frozen, releasedReadsFresh,
}));
