// Runs inside a namespace (best with UV_THREADPOOL_SIZE=1, so the teardown
// case finds its closes still queued): checks closeAsync against the kernel.
// argv: IFNAME. Prints one JSON object with what each case observed.
// - closed at once: every call throws/rejects EBADF right after closeAsync,
//   and no batch is delivered afterwards although frames keep arriving;
// - released once it resolves: the socket's fds are gone from /proc/self/fd
//   and its AF_PACKET sockets from /proc/net/packet;
// - a pending sendBurstAsync on the same socket finishes intact;
// - repeated and mixed close()/closeAsync() calls;
// - a worker whose closes are still queued on the pool when it is terminated.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { buildFrame } from '../../../src/wire/frame.js';
import { burstPlan } from '../../../src/wire/burst-plan.js';
import { PacketSocket } from '../../../src/wire/packet-socket.js';
import { encodeToken } from '../../../src/wire/token.js';

const ifname = process.argv[2] ?? 'eth0';

/** Inodes of the sockets this process holds an fd for. */
function ownSockets(): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // the fd readdir itself used, gone already
    }
  }
  return out;
}
/** Inodes of every AF_PACKET socket of this namespace (the last column). */
function packetSockets(): Set<string> {
  const lines = readFileSync('/proc/net/packet', 'utf8').trim().split('\n').slice(1);
  return new Set(lines.map((l) => l.trim().split(/\s+/).pop()!));
}
const newSince = (before: Set<string>) => [...ownSockets()].filter((i) => !before.has(i));
const countIn = (inodes: string[], set: Set<string>) => inodes.filter((i) => set.has(i)).length;
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return String((err as { code?: string }).code);
  }
};

const frame = buildFrame({
  srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:99', srcIp: '10.79.0.1', dstIp: '10.79.0.2', srcPort: 40000, dstPort: 9,
  payload: encodeToken({ runId: 3, probeId: 1, seq: 0 }, 'close'),
});
const plan = burstPlan(frame)!;
const sender = PacketSocket.open(ifname, { capture: false });

// Case 1: an active capture (as a pairing run's sniffer), closed while frames keep coming.
const before = ownSockets();
const packetBefore = packetSockets().size;
const sock = PacketSocket.open(ifname, { ringBlocks: 8 });
const mine = newSince(before);
let closing: Promise<void> | null = null;
let batchesBefore = 0;
let batchesAfter = 0;
sock.onRecords(() => {
  if (closing) batchesAfter += 1;
  else batchesBefore += 1;
});
let sentAfter = 0;
const pump = setInterval(() => {
  sender.send(frame);
  if (closing) sentAfter += 1;
}, 1);
await sleep(100);
closing = sock.closeAsync();
const right = {
  closed: sock.closed,
  send: codeOf(() => sock.send(frame)),
  sendBurst: codeOf(() => sock.sendBurst(frame, 1)),
  start: codeOf(() => sock.onRecords(() => undefined)),
  sendBurstAsync: await sock.sendBurstAsync(frame, 1).then(() => 'none', (e: { code?: string }) => String(e.code)),
  samePromise: sock.closeAsync() === closing,
};
await closing;
const released = {
  fds: countIn(mine, ownSockets()),
  packet: countIn(mine, packetSockets()),
  packetSockets: packetSockets().size - packetBefore,
};
await sleep(100); // the pump goes on: frames reach the interface, none reaches the callback
clearInterval(pump);
const afterCloseCalls = codeOf(() => sock.close());
const stats = sock.stats();

// Case 2: a burst still running on the pool when its socket is closed.
const burstBefore = ownSockets();
const bursting = PacketSocket.open(ifname, { ringBlocks: 2 });
const burstMine = newSince(burstBefore);
const burst = bursting.sendBurstAsync(frame, 200_000, plan.seqOffset, plan.checksum);
await bursting.closeAsync();
const burstSent = await burst;
const burstReleased = countIn(burstMine, ownSockets()) + countIn(burstMine, packetSockets());

// Case 3: close() first, then closeAsync(), and the reverse.
const a = PacketSocket.open(ifname, { ringBlocks: 2 });
a.close();
await a.closeAsync();
const b = PacketSocket.open(ifname, { ringBlocks: 2 });
const bClosing = b.closeAsync();
b.close();
b.close();
await bClosing;

// Case 4: a worker's closes are still queued (the only pool thread is busy
// with a burst) when the worker is terminated; its environment's teardown
// must neither crash nor lose them.
const gypBuild = createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string };
const addon = process.env.VXPROBE_ADDON ?? gypBuild.path(join(import.meta.dirname, '..', '..', '..'));
const teardownBefore = packetSockets().size;
let busy = true;
const hog = sender.sendBurstAsync(frame, 1_000_000, plan.seqOffset, plan.checksum).finally(() => {
  busy = false;
});
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const a = require(${JSON.stringify(addon)});
   const socks = [];
   for (let i = 0; i < 6; i++) socks.push(new a.PacketSocket(${JSON.stringify(ifname)}, { ringBlocks: 2 }));
   socks[0].start(() => {});
   for (const s of socks.slice(0, 4)) s.closeAsync();
   parentPort.postMessage('closing');`,
  { eval: true },
);
await new Promise((resolve) => worker.once('message', resolve));
const queuedAtTerminate = busy;
const inWorker = packetSockets().size - teardownBefore;
await worker.terminate();
await hog;
await sleep(50);
const afterTeardown = packetSockets().size - teardownBefore;
sender.close();

process.stdout.write(
  `${JSON.stringify({
    mine: mine.length, batchesBefore, batchesAfter, sentAfter, right, released, afterCloseCalls, stats,
    burstSent, burstReleased, queuedAtTerminate, inWorker, afterTeardown,
    leftover: countIn([...ownSockets()], packetSockets()),
  })}\n`,
);
