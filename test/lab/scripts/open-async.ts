// Runs inside a namespace: PacketSocket.openAsync against the kernel.
// argv: IFNAME (one the namespace has, up) OTHER (another one it has).
// Prints one JSON object with what each case observed:
// - the event loop ran while the ring was set up (an immediate queued before
//   the call ran before it resolved), and the socket then captures;
// - a prepared socket is adopted once: a second adoption, and one on another
//   interface, are refused, and a refused one can still be adopted rightly;
//   anything else in its place (another addon handle too) is refused;
// - an unknown interface and bad options reject with one-line errors;
// - capture: false gives a send-only socket.
import { native } from '../../../src/native.js';
import { buildFrame } from '../../../src/wire/frame.js';
import { PacketSocket, type CapturedFrame } from '../../../src/wire/packet-socket.js';
import { encodeToken } from '../../../src/wire/token.js';

const [ifname = 'lo', other = 'eth0'] = process.argv.slice(2);
const opts = { ports: [9100], icmp: false, ringBlocks: 2, ringBlockSize: 1 << 16, retireMs: 1 };
const message = async (f: () => unknown) => {
  try {
    await f();
    return 'no error';
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
};

let immediateRan = false;
setImmediate(() => (immediateRan = true));
const sock = await PacketSocket.openAsync(ifname, opts);
const loopRanDuringOpen = immediateRan;
const seen: CapturedFrame[] = [];
sock.onFrames((batch) => seen.push(...batch));
const frame = (probeId: number) =>
  buildFrame({
    srcMac: sock.mac, dstMac: sock.mac, srcIp: '127.0.0.1', dstIp: '127.0.0.1', srcPort: 40000, dstPort: 9100,
    payload: encodeToken({ runId: 91, probeId, seq: 0 }),
  });
for (let i = 1; i <= 5; i++) sock.send(frame(i));
const until = Date.now() + 5000;
while (Date.now() < until && new Set(seen.filter((c) => c.frame.token?.runId === 91).map((c) => c.frame.token!.probeId)).size < 5) {
  await new Promise((r) => setTimeout(r, 10));
}
const captured = [...new Set(seen.filter((c) => c.frame.token?.runId === 91).map((c) => c.frame.token!.probeId))].sort();
await sock.closeAsync();

const binding = native();
const prepared = await binding.openCaptureAsync(ifname, opts);
new binding.PacketSocket(ifname, opts, prepared).close();
const adoptedTwice = await message(() => new binding.PacketSocket(ifname, opts, prepared));
const elsewhere = await binding.openCaptureAsync(ifname, opts);
const otherInterface = await message(() => new binding.PacketSocket(other, opts, elsewhere));
const stillUsable = await message(() => new binding.PacketSocket(ifname, opts, elsewhere).close());
// Anything else in its place, another addon handle (an External too) included, is refused.
const nl = binding as unknown as { netlinkWatchOpen(): object; netlinkWatchClose(h: object): void };
const watch = nl.netlinkWatchOpen();
const foreignHandle = await message(() => new binding.PacketSocket(ifname, opts, watch as never));
nl.netlinkWatchClose(watch);
const plainObject = await message(() => new binding.PacketSocket(ifname, opts, {} as never));

const unknownInterface = await message(() => PacketSocket.openAsync('vxp-nosuch0', opts));
const badOptions = await message(() => PacketSocket.openAsync(ifname, { ports: ['x' as unknown as number] }));
const sendOnly = await PacketSocket.openAsync(ifname, { capture: false });
const sendOnlyStarts = await message(() => sendOnly.onFrames(() => undefined));
sendOnly.close();

process.stdout.write(`${JSON.stringify({ loopRanDuringOpen, captured, adoptedTwice, otherInterface, stillUsable, foreignHandle, plainObject, unknownInterface, badOptions, sendOnlyStarts })}\n`);
