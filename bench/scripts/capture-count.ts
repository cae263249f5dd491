// Runs in the receiver namespace: captures udp/PORT with our sniffer until
// idle, counting distinct probe sequences of RUN_ID. MODE "tokens" uses the
// native fast path; "records" parses every frame natively into the batch's
// flat records and reads each one's token from its record (what the pair
// sniffer does); "objects" also assembles every frame as a full JS object.
// Prints "READY", then {"distinct", "frames", "stats", "cpu"} as JSON (cpu:
// user+system seconds of this process).
import { PacketSocket } from '../../src/wire/packet-socket.js';

const [ifname = '', portText = '8472', runText = '0', mode = 'tokens', idleText = '1500'] = process.argv.slice(2);
const runId = Number(runText);
const seen = new Set<number>();
let frames = 0;
let last = Date.now();
const sock = PacketSocket.open(ifname, {
  ports: [Number(portText)],
  icmp: false,
  ...(mode === 'tokens' ? { tokenRunId: runId } : {}),
});
sock.onTokens((hits) => {
  for (const s of hits.seq) seen.add(s);
  frames += hits.seq.length;
  last = Date.now();
});
if (mode === 'records') {
  sock.onRecords((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const t = batch.token(i);
      if (t?.runId === runId) seen.add(t.seq);
    }
    frames += batch.count;
    last = Date.now();
  });
} else {
  sock.onFrames((batch) => {
    for (const f of batch) {
      if (f.frame.token?.runId === runId) seen.add(f.frame.token.seq);
    }
    frames += batch.length;
    last = Date.now();
  });
}
const cpu0 = process.cpuUsage();
process.stdout.write('READY\n');
// Stop once nothing arrived for IDLE ms after the first frame (or 60 s).
const started = Date.now();
const timer = setInterval(() => {
  const idle = Date.now() - last;
  if ((frames > 0 && idle > Number(idleText)) || Date.now() - started > 60_000) {
    clearInterval(timer);
    const stats = sock.stats();
    sock.close();
    const u = process.cpuUsage(cpu0);
    process.stdout.write(`${JSON.stringify({ distinct: seen.size, frames, stats, cpu: (u.user + u.system) / 1e6 })}\n`);
  }
}, 100);
