// Runs inside a namespace while another one floods it with UDP to a port we
// do not ask for: opens ROUNDS sockets one after another, each filtering for
// PORT, and counts any frame that got into a ring anyway (it would have had
// to slip in between bind and filter). Every other socket is opened with
// openAsync, whose set-up runs on a pool thread. Prints {"rounds", "leaked", "received"}.
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketSocket } from '../../../src/wire/packet-socket.js';

const [ifname = '', portText = '9100', roundsText = '40'] = process.argv.slice(2);
let leaked = 0;
let received = 0;
process.stdout.write('READY\n');
for (let i = 0; i < Number(roundsText); i++) {
  const opts = { ports: [Number(portText)], icmp: false, ringBlocks: 2, ringBlockSize: 1 << 16, retireMs: 1 };
  const sock = i % 2 === 0 ? PacketSocket.open(ifname, opts) : await PacketSocket.openAsync(ifname, opts);
  sock.onFrames((batch) => {
    leaked += batch.length;
  });
  await sleep(15);
  received += sock.stats().received;
  sock.close();
}
process.stdout.write(`${JSON.stringify({ rounds: Number(roundsText), leaked, received })}\n`);
