// The listener of the soak benchmark (bench/soak.ts), run inside the bench's
// own namespace: the library's listen() on IFACE bound to ADDR, per-peer
// budgets opened wide (the bench is a few peers pairing thousands of times).
// Prints "READY <pid>".
import { listen } from '../../src/pair/responder.js';

const [iface = 'lo', bind = '127.0.0.1', portText = '17474'] = process.argv.slice(2);
const listener = await listen({
  iface,
  secret: Buffer.from(process.env.VXPROBE_SECRET ?? '', 'utf8'),
  controlPort: Number(portText),
  bind,
  maxSessions: 8,
  peerBudget: { runsPerMinute: 1_000_000, framesPer10s: 1_000_000 },
});
process.stdout.write(`READY ${process.pid}\n`);
const stop = () => void listener.close();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await listener.done;
