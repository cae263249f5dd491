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

// Environment teardown: a worker opens sockets (one actively capturing) and
// is terminated without closing them; its cleanup hooks must close the fds.
const { Worker } = await import('node:worker_threads');
const { join } = await import('node:path');
const { createRequire } = await import('node:module');
// The same binary the library loads: VXPROBE_ADDON, else node-gyp-build's choice
// (a local build/Release, or the prebuild), as src/native.ts picks it.
const gypBuild = createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string };
const addon = process.env.VXPROBE_ADDON ?? gypBuild.path(join(import.meta.dirname, '..', '..', '..'));
const beforeWorker = fds();
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const a = require(${JSON.stringify(addon)});
   const keep = [];
   for (let i = 0; i < 20; i++) keep.push(new a.PacketSocket(${JSON.stringify(ifname)}, { ringBlocks: 2, ringBlockSize: 4096 }));
   keep[0].start(() => {});
   parentPort.postMessage('open');`,
  { eval: true },
);
const inWorker = await new Promise<number>((resolve) => worker.once('message', () => resolve(fds())));
await worker.terminate();
await sleep(50);
process.stdout.write(`${JSON.stringify({ beforeWorker, inWorker, afterWorker: fds() })}\n`);
