// Runs one host-facts function inside whatever network namespace this process
// was started in (`ip netns exec NS tsx host-run.ts FN ARGS_JSON`) and prints
// {"ok": result} or {"error": {name, message, code}} as one JSON line, so lab
// tests in the root namespace can read another namespace's view.
import { collectHostFacts } from '../../../src/host/facts.js';
import { readFirewall } from '../../../src/host/firewall.js';
import { readOffloads } from '../../../src/host/offloads.js';
import { readPortOwners } from '../../../src/host/ports.js';
import { readSysctls } from '../../../src/host/sysctl.js';
import { resolveNextHop } from '../../../src/host/next-hop.js';
import {
  readAddrs,
  readFdb,
  readLinks,
  readNeighbors,
  readRoutes,
  neighborGet,
} from '../../../src/host/netlink.js';

type Fn = (...args: never[]) => unknown;
const functions: Record<string, Fn> = {
  resolveNextHop,
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
