// Hostile calls on AF_PACKET sockets (run inside a test namespace): prints
// one JSON line per case with the error it raised. A crash (abort, SIGSEGV)
// shows up as the script's exit status.
import { setTimeout as sleep } from 'node:timers/promises';
import { native } from '../../../src/native.js';
import { buildFrame } from '../../../src/wire/frame.js';

const ifname = process.argv[2]!;
const addon = native();
const sock = new addon.PacketSocket(ifname, { capture: false });

type Outcome = { error: string; name: string; code?: string; message: string } | { result: unknown };

function caught(e: unknown): Outcome {
  const err = e as Error & { code?: string };
  return { error: 'thrown', name: err.name, code: err.code, message: err.message };
}

function outcome(fn: () => unknown): Outcome {
  try {
    return { result: fn() };
  } catch (e) {
    return caught(e);
  }
}

/** As outcome, for calls that return a promise: a synchronous throw and a rejection both count. */
async function asyncOutcome(fn: () => Promise<unknown>): Promise<Outcome | { rejected: Outcome }> {
  let promise: Promise<unknown>;
  try {
    promise = fn();
  } catch (e) {
    return caught(e);
  }
  try {
    return { result: await promise };
  } catch (e) {
    return { rejected: caught(e) };
  }
}

/** A 64-byte frame and a checksum option whose getter detaches it. */
function detachingCase(): { frame: Buffer; checksum: { offset: number; start: number; udp: boolean } } {
  const ab = new ArrayBuffer(64);
  const frame = Buffer.from(ab);
  frame.fill(0xab);
  const checksum = {
    get offset() {
      structuredClone(ab, { transfer: [ab] });
      return 40;
    },
    start: 34,
    udp: true,
  };
  return { frame, checksum };
}

// A checksum getter that detaches the frame: the burst must not copy (and
// put on the wire) the memory the buffer used to own.
const d1 = detachingCase();
console.log(JSON.stringify({ case: 'detach', ...outcome(() => sock.sendBurst(d1.frame, 3, 50, d1.checksum)) }));
const d2 = detachingCase();
console.log(JSON.stringify({ case: 'detach-async', ...(await asyncOutcome(() => sock.sendBurstAsync(d2.frame, 3, 50, d2.checksum))) }));

// 1 GiB: never allocated 64 times over, never an abort.
const huge = Buffer.allocUnsafeSlow(1 << 30);
console.log(JSON.stringify({ case: 'huge', ...outcome(() => sock.sendBurst(huge, 1)) }));
console.log(JSON.stringify({ case: 'huge-async', ...(await asyncOutcome(() => sock.sendBurstAsync(huge, 1))) }));

// A getter that closes the socket: the burst must not go on with its fd.
const closing = new addon.PacketSocket(ifname, { capture: false });
const closingOpts = {
  get offset() {
    closing.close();
    return 40;
  },
  start: 34,
  udp: true,
};
console.log(JSON.stringify({ case: 'close-async', ...(await asyncOutcome(() => closing.sendBurstAsync(Buffer.alloc(64, 1), 3, 50, closingOpts))) }));

// The capture record buffer is reused from one wake-up to the next; JS holds
// it during the callback and may detach it. The next wake-up must write into
// a fresh one, not through the detached array's null data pointer.
const cap = new addon.PacketSocket(ifname, { ports: [9999], icmp: false });
const batches: { count: number; length: number }[] = [];
cap.start((err, records, count) => {
  batches.push({ count, length: records?.length ?? -1 });
  if (records && batches.length === 1) structuredClone(records.buffer, { transfer: [records.buffer as ArrayBuffer] });
});
const udp = buildFrame({
  srcMac: '02:00:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '10.99.0.1', dstIp: '10.99.0.2',
  srcPort: 40000, dstPort: 9999, payload: Buffer.from('hostile'),
});
for (let i = 0; i < 3; i++) {
  sock.sendBurst(udp, 4);
  await sleep(150);
}
cap.close();
console.log(JSON.stringify({ case: 'capture-detach', batches, recordSize: addon.FRAME_LAYOUT.capture.size }));

// The record buffer starts small and doubles whenever a wake-up fills it
// (native/packet_socket.h): a burst larger than the first buffer still
// arrives whole, over several wake-ups, each within its buffer.
const grow = new addon.PacketSocket(ifname, { ports: [9998], icmp: false });
const growBatches: { count: number; length: number }[] = [];
grow.start((err, records, count) => {
  growBatches.push({ count, length: records?.length ?? -1 });
});
const udp2 = buildFrame({
  srcMac: '02:00:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '10.99.0.1', dstIp: '10.99.0.2',
  srcPort: 40000, dstPort: 9998, payload: Buffer.from('burst'),
});
sock.sendBurst(udp2, 400);
await sleep(300);
grow.close();
console.log(JSON.stringify({ case: 'capture-grow', sent: 400, batches: growBatches, recordSize: addon.FRAME_LAYOUT.capture.size }));
sock.close();
