// Runs inside a namespace: sends one token frame out of IFNAME, then keeps
// the JS thread busy for BUSY_MS before the capture can be delivered. Prints
// {"sentAt", "captured", "deliveredAt"} (ms since the epoch): the captured
// time is the kernel's receive timestamp (TPACKET_V3 tp_sec/tp_nsec), so it
// sits next to sentAt however late JS got to see the frame.
import { buildFrame } from '../../../src/wire/frame.js';
import { PacketSocket } from '../../../src/wire/packet-socket.js';
import { encodeToken } from '../../../src/wire/token.js';

const [ifname = 'eth0', busyText = '200'] = process.argv.slice(2);
const sock = PacketSocket.open(ifname, { ports: [8472], icmp: false, retireMs: 1 });
const frame = buildFrame({
  srcMac: sock.mac, dstMac: '02:00:00:00:00:99', srcIp: '10.79.0.1', dstIp: '10.79.0.2', srcPort: 40000, dstPort: 8472,
  payload: encodeToken({ runId: 77, probeId: 1, seq: 1 }, 'time'),
});
const got = new Promise<{ captured: number; deliveredAt: number }>((resolve) => {
  sock.onFrames((batch) => {
    const mine = batch.find((f) => f.frame.token?.runId === 77);
    if (mine) resolve({ captured: mine.time, deliveredAt: Date.now() });
  });
});
await new Promise((r) => setTimeout(r, 50));
const sentAt = Date.now();
sock.send(frame);
const until = Date.now() + Number(busyText);
while (Date.now() < until) {
  // Busy: the JS thread cannot take the frame before this loop ends.
}
const { captured, deliveredAt } = await got;
sock.close();
process.stdout.write(`${JSON.stringify({ sentAt, captured, deliveredAt })}\n`);
