// Runs one host-facts function inside whatever network namespace this process
// was started in (`ip netns exec NS tsx host-run.ts FN ARGS_JSON`) and prints
// {"ok": result} or {"error": {name, message, code}} as one JSON line, so lab
// tests in the root namespace can read another namespace's view.
import { collectHostFacts } from '../../../src/host/facts.js';
import { readFirewall } from '../../../src/host/firewall.js';
import { readOffloads, readOffloadsAsync } from '../../../src/host/offloads.js';
import { readPortOwners } from '../../../src/host/ports.js';
import { readSysctls } from '../../../src/host/sysctl.js';
import { resolveNextHop } from '../../../src/host/next-hop.js';
import { native } from '../../../src/native.js';
import {
  readAddrs,
  readFdb,
  readLinks,
  readNeighbors,
  readRoutes,
  neighborGet,
  neighborGetAsync,
  neighborResolveAsync,
  readLinksRawAsync,
  readAddrsAsync,
  readRoutesAsync,
  readNeighborsAsync,
  readFdbAsync,
  readLinksRaw,
  routeGet,
  routeGetAsync,
} from '../../../src/host/netlink.js';

type Fn = (...args: never[]) => unknown;

/**
 * Dumps routes, neighbors and FDB `times` times and returns, per dump, how
 * many distinct and total entries of the 1,000-peer set (flannel.1, MACs
 * 02:bb:...) came back: a torn or duplicated dump shows up as a wrong count.
 */
interface DumpCount {
  table: string;
  distinct: number;
  total: number;
  /** Entries outside the peer set (the churn), to prove the table was changing. */
  others: number;
}

function peerDumpCounts(times: number): DumpCount[] {
  const out: DumpCount[] = [];
  for (let i = 0; i < times; i++) {
    const all = readRoutes();
    const routes = all.filter((r) => r.ifname === 'flannel.1' && r.onlink).map((r) => r.dst);
    const others = all.filter((r) => r.dst.startsWith('10.250.')).length;
    const neigh = readNeighbors().filter((n) => n.mac?.startsWith('02:bb:')).map((n) => n.ip);
    const fdb = readFdb().filter((f) => f.mac.startsWith('02:bb:')).map((f) => f.mac);
    for (const [table, keys] of [['routes', routes], ['neighbors', neigh], ['fdb', fdb]] as const) {
      out.push({ table, distinct: new Set(keys).size, total: keys.length, others: table === 'routes' ? others : 0 });
    }
  }
  return out;
}
/** Whether each table read off the JS thread equals the synchronous read. */
async function asyncTablesMatch(): Promise<Record<string, { rows: number; equal: boolean }>> {
  const pairs: Array<[string, () => unknown[], () => Promise<unknown[]>]> = [
    ['links', readLinksRaw, readLinksRawAsync],
    ['addrs', readAddrs, readAddrsAsync],
    ['routes', readRoutes, readRoutesAsync],
    ['neighbors', readNeighbors, readNeighborsAsync],
    ['fdb', readFdb, readFdbAsync],
  ];
  const out: Record<string, { rows: number; equal: boolean }> = {};
  // Single requests too: a route lookup and the ethtool ioctls.
  pairs.push(['routeGet', () => [routeGet('172.30.1.7')], async () => [await routeGetAsync('172.30.1.7')]]);
  pairs.push(['offloads', () => readOffloads(['eth0', 'flannel.1']), () => readOffloadsAsync(['eth0', 'flannel.1'])]);
  for (const [name, sync, async] of pairs) {
    const a = await async();
    const b = sync();
    out[name] = { rows: a.length, equal: JSON.stringify(a) === JSON.stringify(b) };
  }
  return out;
}

/**
 * resolveNextHop with every synchronous netlink call of the addon replaced
 * by one that throws: it succeeds only if all its requests run on the pool.
 */
function resolveNextHopOffThread(...args: Parameters<typeof resolveNextHop>) {
  const binding = native() as unknown as Record<string, unknown>;
  for (const name of ['netlinkLinks', 'netlinkAddrs', 'netlinkRoutes', 'netlinkNeighbors', 'netlinkFdb', 'routeGet', 'neighborGet', 'neighborResolve']) {
    binding[name] = () => {
      throw new Error(`${name} ran on the JS thread`);
    };
  }
  return resolveNextHop(...args);
}

/** neighborGet and neighborGetAsync side by side (an error as its code). */
async function neighborBoth(ip: string, ifindex: number) {
  const code = (e: unknown) => ({ error: (e as { code?: string }).code ?? String(e) });
  const sync = (() => {
    try {
      return neighborGet(ip, ifindex);
    } catch (e) {
      return code(e);
    }
  })();
  const async = await neighborGetAsync(ip, ifindex).catch(code);
  return { sync, async };
}

const functions: Record<string, Fn> = {
  resolveNextHop,
  resolveNextHopOffThread,
  neighborBoth,
  neighborResolveAsync,
  collectHostFacts,
  readFirewall,
  readOffloads,
  readPortOwners,
  readSysctls,
  readLinks,
  readAddrs,
  readRoutes,
  readNeighbors,
  readFdb,
  neighborGet,
  peerDumpCounts,
  asyncTablesMatch,
};

async function main(): Promise<void> {
  const [name, argsJson] = process.argv.slice(2);
  const fn = name ? functions[name] : undefined;
  if (!fn) throw new Error(`unknown function ${name}`);
  const args = JSON.parse(argsJson ?? '[]') as never[];
  const result = await fn(...args);
  process.stdout.write(`${JSON.stringify({ ok: result })}\n`);
}

main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  process.stdout.write(
    `${JSON.stringify({ error: { name: e.name, message: e.message, code: e.code ?? null } })}\n`,
  );
});
