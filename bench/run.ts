// `npm run bench`: runs every benchmark in turn (one at a time, so they do
// not compete for the CPU) and prints each one's table. Add a bench as
// bench/<name>.ts exporting an async function, and one entry below.
import { benchPacketSocket } from './packet-socket.js';
import { benchPair } from './pair.js';
import { benchInspect } from './inspect.js';
import { benchNetlink } from './netlink.js';
import { benchCodec } from './codec.js';
import { benchEventLoop } from './event-loop.js';
import { benchAgent } from './agent.js';
import { benchSoak } from './soak.js';

const benches: Array<[string, () => Promise<void>]> = [
  ['pair', benchPair],
  ['inspect', benchInspect],
  ['packet socket', benchPacketSocket],
  ['netlink', benchNetlink],
  ['event loop', benchEventLoop],
  ['codec', async () => void benchCodec()],
  ['agent', benchAgent],
  ['soak', benchSoak],
];
const only = process.argv.slice(2);

for (const [name, run] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  const t0 = Date.now();
  try {
    await run();
  } catch (err) {
    process.exitCode = 1;
    console.error(`bench "${name}" failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
