// Runs in the sender namespace: sends COUNT copies of HEXFRAME with the
// addon's sendBurst (sequence stamped, checksum kept valid) and prints
// "sent SECONDS" like bench/c/sendto-loop.c.
import { PacketSocket } from '../../src/wire/packet-socket.js';
import { burstPlan } from '../../src/wire/burst-plan.js';

const [ifname = '', hex = '', countText = '0'] = process.argv.slice(2);
const frame = Buffer.from(hex, 'hex');
const plan = burstPlan(frame);
if (!plan) throw new Error('bench frame carries no token');
const sock = PacketSocket.open(ifname, { capture: false });
const t0 = process.hrtime.bigint();
const sent = sock.sendBurst(frame, Number(countText), plan.seqOffset, plan.checksum);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
sock.close();
process.stdout.write(`${sent} ${seconds.toFixed(6)}\n`);
