// Hostile sendBurst calls on a send-only AF_PACKET socket (run inside a test
// namespace): prints one JSON line per case with the error it raised. A crash
// (abort, SIGSEGV) shows up as the script's exit status.
import { native } from '../../../src/native.js';

const ifname = process.argv[2]!;
const sock = new (native().PacketSocket)(ifname, { capture: false });

function outcome(fn: () => unknown): { error: string; name: string; code?: string; message: string } | { result: unknown } {
  try {
    return { result: fn() };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { error: 'thrown', name: err.name, code: err.code, message: err.message };
  }
}

// A checksum getter that detaches the frame: the burst must not copy (and
// put on the wire) the memory the buffer used to own.
const ab = new ArrayBuffer(64);
const frame = Buffer.from(ab);
frame.fill(0xab);
const detaching = {
  get offset() {
    structuredClone(ab, { transfer: [ab] });
    return 40;
  },
  start: 34,
  udp: true,
};
console.log(JSON.stringify({ case: 'detach', ...outcome(() => sock.sendBurst(frame, 3, 50, detaching)) }));

// 1 GiB: never allocated 64 times over, never an abort.
const huge = Buffer.allocUnsafeSlow(1 << 30);
console.log(JSON.stringify({ case: 'huge', ...outcome(() => sock.sendBurst(huge, 1)) }));
sock.close();
