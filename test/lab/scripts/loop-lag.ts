// Runs inside a namespace: measures how late 1 ms timers fire while the
// addon works. argv: MODE ('burst-async' | 'burst-sync' | 'burst-async-close' |
// 'fdb-async' | 'fdb-sync' | 'close-async' | 'close-sync' | 'open-async' |
// 'open-sync'), IFNAME, COUNT (frames or sockets).
// Prints {"mode", "work", "ms", "timers", "p50", "p95", "max"}: work = frames
// sent, FDB entries read or sockets closed or opened; lag figures (how late
// each timer fired) in ms; close and open modes add "callP50"/"callMax", how
// long each close or open call held the JS thread, in ms. Only the work is measured: the addon is loaded and
// a burst's socket opened before the timers start, and closed after they stop.
import { readFdb, readFdbAsync } from '../../../src/host/netlink.js';
import { native } from '../../../src/native.js';
import { buildFrame } from '../../../src/wire/frame.js';
import { PacketSocket } from '../../../src/wire/packet-socket.js';
import { burstPlan } from '../../../src/wire/burst-plan.js';
import { encodeToken } from '../../../src/wire/token.js';

const [mode = '', ifname = 'eth0', countText = '0'] = process.argv.slice(2);
const count = Number(countText);

/**
 * Starts a 1 ms timer chain; stop() gives each timer's lateness in ms.
 * skip() drops the gap open so far (work the mode does not measure).
 */
function lagProbe(): { stop: () => number[]; skip: () => void } {
  const lags: number[] = [];
  let last = performance.now();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 1));
    last = now;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  const stop = () => {
    clearTimeout(timer);
    // The gap that is still open counts too: a blocked loop never ticked.
    lags.push(Math.max(0, performance.now() - last - 1));
    return lags;
  };
  return { stop, skip: () => void (last = performance.now()) };
}

/**
 * COUNT open/close cycles of a capture socket shaped like a pairing run's
 * sniffer (8-block ring, capturing). The open (~8 ms, not what is measured
 * here) is skipped; the close, sync or async, is measured.
 */
async function closeCycles(skip: () => void): Promise<number> {
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const sock = PacketSocket.open(ifname, { ringBlocks: 8 });
    sock.onRecords(() => undefined);
    skip();
    const t = performance.now();
    if (mode === 'close-async') {
      const closing = sock.closeAsync();
      onThread.push(performance.now() - t);
      await closing;
    } else {
      sock.close();
      onThread.push(performance.now() - t);
    }
    closed += sock.closed ? 1 : 0;
    await new Promise((r) => setImmediate(r));
  }
  return closed;
}
/**
 * COUNT open/close cycles of the same socket: the open, sync or async, is
 * measured (its ring's set-up waits for an RCU grace period in the kernel);
 * the close (on the pool) is skipped.
 */
async function openCycles(skip: () => void): Promise<number> {
  let opened = 0;
  for (let i = 0; i < count; i++) {
    skip();
    const t = performance.now();
    let sock: PacketSocket;
    if (mode === 'open-async') {
      const opening = PacketSocket.openAsync(ifname, { ringBlocks: 8 });
      onThread.push(performance.now() - t);
      sock = await opening;
    } else {
      sock = PacketSocket.open(ifname, { ringBlocks: 8 });
      onThread.push(performance.now() - t);
    }
    sock.onRecords(() => undefined);
    opened += sock.closed ? 0 : 1;
    await sock.closeAsync();
    skip();
    await new Promise((r) => setImmediate(r));
  }
  return opened;
}
/** close and open modes: how long each close or open call held the JS thread, ms. */
const onThread: number[] = [];

async function work(skip: () => void): Promise<number> {
  if (mode.startsWith('close')) return closeCycles(skip);
  if (mode.startsWith('open')) return openCycles(skip);
  if (mode.startsWith('fdb')) return (mode === 'fdb-async' ? await readFdbAsync() : readFdb()).length;
  const { frame, plan, sock } = burst!;
  if (mode === 'burst-async-close') {
    // Close the socket and drop the frame while the burst runs: the worker
    // has its own copy of the frame and its own fd, so it finishes intact.
    const sending = sock.sendBurstAsync(frame, count, plan.seqOffset, plan.checksum);
    sock.close();
    frame.fill(0);
    return await sending;
  }
  return mode === 'burst-async'
    ? await sock.sendBurstAsync(frame, count, plan.seqOffset, plan.checksum)
    : sock.sendBurst(frame, count, plan.seqOffset, plan.checksum);
}

/**
 * The burst's frame and send socket, made before measuring: opening a
 * socket is not the burst, and closing one has its own modes.
 */
function prepareBurst() {
  const frame = buildFrame({
    srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:99', srcIp: '10.79.0.1', dstIp: '10.79.0.2', srcPort: 40000, dstPort: 8472,
    vxlan: { vni: 1 }, inner: { srcMac: '0e:00:00:00:00:01', dstMac: '0e:00:00:00:00:02', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp' },
    payload: encodeToken({ runId: 1, probeId: 1, seq: 0 }, 'lag'),
  });
  return { frame, plan: burstPlan(frame)!, sock: PacketSocket.open(ifname, { capture: false }) };
}

// Loading the addon (its first call, several ms) is not what is measured.
native();
const burst = mode.startsWith('burst') ? prepareBurst() : null;
// Let the loop settle (module loading, first timers) before measuring.
await new Promise((r) => setTimeout(r, 50));
const { stop, skip } = lagProbe();
const t0 = performance.now();
const done = await work(skip);
const ms = performance.now() - t0;
const lags = stop().sort((a, b) => a - b);
burst?.sock.close();
const quantile = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;
const at = (q: number) => quantile(lags, q);
const calls = onThread.sort((a, b) => a - b);
const callFigures = calls.length ? { callP50: quantile(calls, 0.5), callMax: calls[calls.length - 1] } : {};
process.stdout.write(`${JSON.stringify({ mode, work: done, ms, timers: lags.length, p50: at(0.5), p95: at(0.95), max: lags[lags.length - 1] ?? 0, ...callFigures })}\n`);
