// `npm run bench`: runs every benchmark in turn (one at a time, so they do
// not compete for the CPU) and prints each one's table. Add a bench as
// bench/<name>.ts exporting an async function, and one entry below.
import { benchPacketSocket } from './packet-socket.js';

const benches: Array<[string, () => Promise<void>]> = [['packet socket', benchPacketSocket]];

for (const [name, run] of benches) {
  const t0 = Date.now();
  try {
    await run();
  } catch (err) {
    process.exitCode = 1;
    console.error(`bench "${name}" failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
