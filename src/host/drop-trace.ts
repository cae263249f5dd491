// The kernel's own reason for dropping a packet (skb drop reasons), captured
// during a probe window through tracefs (docs/kernel-drop-reasons.md).
//
// A private tracefs instance records two events: `net:netif_receive_skb` on
// the probed NIC (which packet arrived, how long, when) and `skb:kfree_skb`
// (which packet the kernel dropped, and why). A packet received on the NIC
// and dropped moments later (src/host/drop-trace-parse.ts) gets the kernel's
// reason; the sniffer's frames are paired with those receipts. The
// instance is ours alone, so other tracing users are not disturbed; it is
// removed on every path (stop, close, exit, SIGINT/SIGTERM).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { KernelDropCapture } from './kernel-drop-types.js';
import { alignFrames, receivesFromTrace, type ArrivedFrame } from './drop-trace-parse.js';

const TRACEFS_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
/** Per-CPU ring size of our instance: room for a probe window on a busy host (the kernel allocates it per CPU). */
const BUFFER_KB = 1024;
/** At most this much of the trace is read back. */
const MAX_TRACE_BYTES = 64 * 1024 * 1024;

export interface DropTraceOptions {
  /** tracefs mount points to try, in order (tests point this elsewhere). */
  roots?: string[];
}

const live = new Set<DropTrace>();
let hooked = false;

function cleanupAll(): void {
  for (const t of [...live]) t.close();
}

function onSignal(signal: NodeJS.Signals): void {
  // Counted before cleanup, which unhooks us once no trace is left.
  const alone = process.listenerCount(signal) === 1;
  cleanupAll();
  // Only ours was listening: die of the signal as if we had not been here.
  if (alone) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
}

function unhookProcess(): void {
  if (!hooked || live.size > 0) return;
  hooked = false;
  process.removeListener('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, onSignal);
}

function unavailable(nic: string, note: string): KernelDropCapture {
  // Notes cross the control channel: bounded, whatever an error message held.
  return { available: false, note: note.slice(0, 240), nic, framesSeen: 0, framesMatched: 0, drops: [], truncated: false };
}

/** Epoch ms minus CLOCK_MONOTONIC ms, now (the instance's trace clock is `mono`). */
function monoToEpochOffset(): number {
  return Date.now() - Number(process.hrtime.bigint() / 1000n) / 1000;
}

export class DropTrace {
  private closed = false;

  private constructor(
    readonly nic: string,
    private readonly dir: string | null,
    private readonly note: string | null,
    private readonly offsetMs: number,
  ) {}

  /** The tracefs instance directory while capturing (null when unavailable). */
  get instance(): string | null {
    return this.closed ? null : this.dir;
  }

  /** Starts capturing; never throws: where tracefs cannot be used the capture says why. */
  static start(nic: string, opts: DropTraceOptions = {}): DropTrace {
    const roots = opts.roots ?? TRACEFS_ROOTS;
    const root = roots.find((r) => existsSync(join(r, 'instances')));
    if (!root) return new DropTrace(nic, null, `tracefs is not mounted (mount -t tracefs nodev ${roots[0]})`, 0);
    let format: string;
    try {
      format = readFileSync(join(root, 'events', 'skb', 'kfree_skb', 'format'), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return new DropTrace(nic, null, code === 'ENOENT' ? 'the kernel has no skb:kfree_skb tracepoint' : `tracefs is not readable (${code ?? 'error'})`, 0);
    }
    if (!/\breason\b/.test(format)) return new DropTrace(nic, null, 'the kernel\'s skb:kfree_skb has no drop reason (Linux 5.17 or later has)', 0);
    if (!existsSync(join(root, 'events', 'net', 'netif_receive_skb'))) return new DropTrace(nic, null, 'the kernel has no net:netif_receive_skb tracepoint', 0);
    const dir = join(root, 'instances', `vxprobe-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(dir);
    } catch (err) {
      return new DropTrace(nic, null, `cannot create a tracefs instance (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 0);
    }
    const trace = new DropTrace(nic, dir, null, monoToEpochOffset());
    live.add(trace);
    hookProcess();
    try {
      const put = (file: string, value: string) => writeFileSync(join(dir, file), value);
      put('trace_clock', 'mono');
      put('buffer_size_kb', String(BUFFER_KB));
      // The NIC name is a kernel interface name (no quotes, at most 15 bytes), so it is safe inside the filter string.
      if (!/^[\w.:@-]{1,15}$/.test(nic)) throw new Error(`interface name ${JSON.stringify(nic)} cannot be traced`);
      put('events/net/netif_receive_skb/filter', `name == "${nic}"`);
      // IPv4 only (ETH_P_IP): VXLAN underlays here are IPv4. A kernel that
      // cannot filter on protocol still works, with more events to skip.
      try {
        put('events/skb/kfree_skb/filter', 'protocol == 2048');
      } catch {
        // Unfiltered.
      }
      put('events/net/netif_receive_skb/enable', '1');
      put('events/skb/kfree_skb/enable', '1');
      put('tracing_on', '1');
    } catch (err) {
      trace.close();
      return new DropTrace(nic, null, `cannot set up kernel drop tracing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 0);
    }
    return trace;
  }

  /**
   * Stops capturing and says which of `frames` (probe frames the sniffer saw
   * arrive on this NIC) the kernel then dropped, and why.
   */
  stop(frames: ArrivedFrame[]): KernelDropCapture {
    if (!this.dir) return unavailable(this.nic, this.note ?? 'kernel drop tracing was not started');
    if (this.closed) return unavailable(this.nic, 'kernel drop tracing was already stopped');
    let capture: KernelDropCapture;
    try {
      writeFileSync(join(this.dir, 'tracing_on'), '0');
      const text = readBounded(join(this.dir, 'trace'), MAX_TRACE_BYTES);
      const overrun = overrunCount(this.dir);
      const { matched, drops, truncated } = alignFrames(receivesFromTrace(text, this.nic, this.offsetMs), frames);
      capture = {
        available: true,
        note: overrun > 0 ? `the trace buffer overran (${overrun} events lost)` : null,
        nic: this.nic,
        framesSeen: frames.length,
        framesMatched: matched,
        drops,
        truncated: truncated || overrun > 0,
      };
    } catch (err) {
      capture = unavailable(this.nic, `cannot read the kernel drop trace (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    this.close();
    return capture;
  }

  /** Removes the instance (idempotent; safe from exit and signal handlers). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    if (this.dir) {
      for (const file of ['tracing_on', 'events/net/netif_receive_skb/enable', 'events/skb/kfree_skb/enable']) {
        try {
          writeFileSync(join(this.dir, file), '0');
        } catch {
          // Already gone or never set.
        }
      }
      try {
        rmdirSync(this.dir);
      } catch {
        // Gone already (someone removed it); nothing else to do.
      }
    }
    unhookProcess();
  }
}

function readBounded(path: string, max: number): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(1 << 16);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total >= max) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function overrunCount(dir: string): number {
  let sum = 0;
  try {
    for (const cpu of readdirSync(join(dir, 'per_cpu'))) {
      const m = /^overrun:\s*(\d+)/m.exec(readFileSync(join(dir, 'per_cpu', cpu, 'stats'), 'utf8'));
      if (m) sum += Number(m[1]);
    }
  } catch {
    // No per-CPU stats: report no overrun rather than guess.
  }
  return sum;
}

/**
 * Every probe frame a sniffer saw arrive at its NIC: requests to this node
 * and replies to its own probes alike, so each receive event in the trace is
 * paired with its own frame (a reply has the same length as a request).
 */
export function arrivedHere(sightings: readonly { dir: string; probeId: number; seq: number; time: number; ipLength: number }[]): ArrivedFrame[] {
  return sightings.filter((s) => s.dir === 'in').map((s) => ({ probeId: s.probeId, seq: s.seq, time: s.time, ipLength: s.ipLength }));
}
