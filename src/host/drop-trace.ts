// The kernel's own reason for dropping a packet (skb drop reasons), captured
// during a probe window through tracefs (docs/kernel-drop-reasons.md).
//
// A private tracefs instance records two events: `net:netif_receive_skb` on
// the probed NIC (which packet arrived, how long, when) and `skb:kfree_skb`
// (which packet the kernel dropped, and why). A packet received on the NIC
// and dropped moments later (src/host/drop-trace-parse.ts) gets the kernel's
// reason; the sniffer's frames are paired with those receipts. The
// instance is ours alone, so other tracing users are not disturbed; it is
// removed on every path (stop, close, exit, SIGINT/SIGTERM), and shared by
// the runs of one process that trace the same NIC (trace-instance.ts).
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelDropCapture } from './kernel-drop-types.js';
import { alignFrames, receivesFromTrace, type ArrivedFrame } from './drop-trace-parse.js';
import { TraceInstance } from './trace-instance.js';

const TRACEFS_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
/** At most this much of the trace is read back. */
const MAX_TRACE_BYTES = 64 * 1024 * 1024;
/** Receipts this long before a run began still count (the two clocks are read within a millisecond). */
const WINDOW_SLACK_MS = 50;

export interface DropTraceOptions {
  /** tracefs mount points to try, in order (tests point this elsewhere). */
  roots?: string[];
}

/**
 * The instance name of a long-lived listener: the same across its restarts,
 * so a restart removes what a killed predecessor left, and distinct per
 * network namespace and control port, so listeners of other namespaces on
 * one kernel (kind nodes, the lab) never touch each other's.
 */
export function listenerTraceName(iface: string, controlPort: number): string {
  let netns = 'x';
  try {
    netns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1] ?? 'x';
  } catch {
    // No /proc: the name still holds the interface and port.
  }
  return `vxprobe-n${netns}-${iface}-${controlPort}`;
}

function unavailable(nic: string, note: string): KernelDropCapture {
  // Notes cross the control channel: bounded, whatever an error message held.
  return { available: false, note: note.slice(0, 240), nic, framesSeen: 0, framesMatched: 0, drops: [], truncated: false };
}

/** Epoch ms minus CLOCK_MONOTONIC ms, now (the instance's trace clock is `mono`). */
function monoToEpochOffset(): number {
  return Date.now() - Number(process.hrtime.bigint() / 1000n) / 1000;
}

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** Where tracing `nic` is possible: the instance to use, or why not. */
function instanceFor(nic: string, opts: DropTraceOptions, stableName?: string): TraceInstance | string {
  const roots = opts.roots ?? TRACEFS_ROOTS;
  const root = roots.find((r) => existsSync(join(r, 'instances')));
  if (!root) return `tracefs is not mounted (mount -t tracefs nodev ${roots[0]})`;
  let format: string;
  try {
    format = readFileSync(join(root, 'events', 'skb', 'kfree_skb', 'format'), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'the kernel has no skb:kfree_skb tracepoint' : `tracefs is not readable (${code ?? 'error'})`;
  }
  if (!/\breason\b/.test(format)) return 'the kernel\'s skb:kfree_skb has no drop reason (Linux 5.17 or later has)';
  if (!existsSync(join(root, 'events', 'net', 'netif_receive_skb'))) return 'the kernel has no net:netif_receive_skb tracepoint';
  // The NIC name is a kernel interface name (no quotes, at most 15 bytes), so it is safe inside the filter string.
  if (!/^[\w.:@-]{1,15}$/.test(nic)) return `cannot set up kernel drop tracing (interface name ${JSON.stringify(nic)} cannot be traced)`;
  try {
    return TraceInstance.for(root, nic, stableName);
  } catch (err) {
    return (err as Error).message;
  }
}

/** One run's window of kernel drop tracing on one NIC. */
export class DropTrace {
  private stopped = false;
  private ended: Promise<void> | null = null;
  /** Resolves once tracing is on for this run (null), or to why it cannot be. */
  private readonly started: Promise<string | null>;
  private overrunsAtStart = 0;

  private constructor(
    readonly nic: string,
    private readonly instance_: TraceInstance | null,
    note: string | null,
    private readonly startedAt: number,
    private readonly offsetMs: number,
  ) {
    this.started = instance_
      ? instance_.begin().then(async (failure) => {
          if (!failure) this.overrunsAtStart = await instance_.overruns();
          return failure;
        })
      : Promise.resolve(note);
  }

  /** The tracefs instance directory while this run traces (null when unavailable or stopped). */
  get instance(): string | null {
    return this.stopped || !this.instance_ ? null : this.instance_.dir;
  }

  /** Starts capturing; never throws: where tracefs cannot be used the capture says why. Tracing is on once ready() resolves. */
  static start(nic: string, opts: DropTraceOptions = {}): DropTrace {
    const found = instanceFor(nic, opts);
    if (typeof found === 'string') return new DropTrace(nic, null, found, 0, 0);
    return new DropTrace(nic, found, null, Date.now(), monoToEpochOffset());
  }

  /**
   * Keeps an instance for `nic` set up until the returned function is called
   * (a listener or an agent, for its whole life): its runs then only switch
   * tracing on and off. Never throws; a NIC that cannot be traced keeps nothing.
   * `name`: a stable instance name (listenerTraceName) instead of a random one.
   */
  static retain(nic: string, opts: DropTraceOptions & { name?: string } = {}): () => Promise<void> {
    const found = instanceFor(nic, opts, opts.name);
    return typeof found === 'string' ? () => Promise.resolve() : found.retain();
  }

  /** Resolves once tracing is on, or once it is known that it cannot be (never rejects). */
  async ready(): Promise<void> {
    await this.started;
  }

  /**
   * Stops this run's window and says which of `frames` (probe frames the
   * sniffer saw arrive on this NIC) the kernel then dropped, and why.
   */
  async stop(frames: ArrivedFrame[]): Promise<KernelDropCapture> {
    const failure = await this.started;
    if (failure) {
      void this.close();
      return unavailable(this.nic, failure);
    }
    if (this.stopped) return unavailable(this.nic, 'kernel drop tracing was already stopped');
    this.stopped = true;
    const instance = this.instance_!;
    let capture: KernelDropCapture;
    try {
      const text = await instance.read(MAX_TRACE_BYTES);
      const overrun = (await instance.overruns()) - this.overrunsAtStart;
      const from = this.startedAt - WINDOW_SLACK_MS;
      const receives = receivesFromTrace(text, this.nic, this.offsetMs).filter((r) => r.time >= from);
      const { matched, drops, truncated } = alignFrames(receives, frames);
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
      capture = unavailable(this.nic, `cannot read the kernel drop trace (${codeOf(err)})`);
    }
    void this.close();
    return capture;
  }

  /** Ends this run's window (idempotent): resolves when tracing is off, or the instance removed if nobody keeps it. */
  close(): Promise<void> {
    this.stopped = true;
    if (!this.ended) this.ended = this.instance_ ? this.started.then(() => this.instance_!.end()) : Promise.resolve();
    return this.ended;
  }
}

/**
 * Every probe frame a sniffer saw arrive at its NIC: requests to this node
 * and replies to its own probes alike, so each receive event in the trace is
 * paired with its own frame (a reply has the same length as a request).
 */
export function arrivedHere(sightings: readonly { dir: string; probeId: number; seq: number; time: number; ipLength: number }[]): ArrivedFrame[] {
  return sightings.filter((s) => s.dir === 'in').map((s) => ({ probeId: s.probeId, seq: s.seq, time: s.time, ipLength: s.ipLength }));
}
