// Runs inside a network namespace (spawned by a lab test): captures on one
// interface and prints one JSON line per frame, then {"stats": ...}.
// argv: ifname, socket options JSON, {"durationMs": N, "count"?: N} JSON.
// Stops at durationMs, after count frames, or when stdin closes (what tests
// use, so a slow machine cannot end the window before the sender ran).
// Prints "READY" once the socket is open and filtering.
import { PacketSocket } from '../../../src/wire/packet-socket.js';

const [ifname = '', optsJson = '{}', untilJson = '{}'] = process.argv.slice(2);
const until = JSON.parse(untilJson) as { durationMs: number; count?: number };
const sock = PacketSocket.open(ifname, JSON.parse(optsJson));
let seen = 0;
let tokenHits = 0;
let finished = false;
const finish = () => {
  if (finished) return;
  finished = true;
  process.stdin.destroy();
  const stats = sock.stats();
  sock.close();
  process.stdout.write(`${JSON.stringify({ stats, tokenHits })}\n`);
};
const timer = setTimeout(finish, until.durationMs);
sock.onFrames((batch) => {
  for (const f of batch) {
    process.stdout.write(`${JSON.stringify({ ...f, raw: f.raw?.toString('hex') })}\n`);
    seen++;
  }
  if (until.count !== undefined && seen >= until.count) {
    clearTimeout(timer);
    finish();
  }
});
sock.onTokens((hits) => {
  tokenHits += hits.seq.length;
});
process.stdin.resume();
process.stdin.on('end', () => {
  clearTimeout(timer);
  finish();
});
process.stdout.write('READY\n');
