// Runs inside a namespace with --expose-gc: opens sockets, drops them without
// close(), collects garbage, and reports the process's open fd counts.
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketSocket } from '../../../src/wire/packet-socket.js';

const ifname = process.argv[2] ?? 'lo';
const fds = () => readdirSync('/proc/self/fd').length;
const gc = (globalThis as { gc?: () => void }).gc!;

const closed = PacketSocket.open(ifname, { ringBlocks: 2, ringBlockSize: 4096 });
closed.close();
closed.close();
const statsAfterClose = closed.stats();
gc();
await sleep(50);
const before = fds();
let sockets: PacketSocket[] = [];
for (let i = 0; i < 100; i++) sockets.push(PacketSocket.open(ifname, { ringBlocks: 2, ringBlockSize: 4096 }));
const open = fds();
sockets = [];
for (let i = 0; i < 10 && fds() > before; i++) {
  gc();
  await sleep(50);
}
process.stdout.write(`${JSON.stringify({ before, open, after: fds(), statsAfterClose })}\n`);
