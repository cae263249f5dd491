// Typed face of the native AF_PACKET socket: open on an interface, send one
// frame or a sequence-stamped burst, capture filtered frames in batches.
import { native } from '../native.js';
import { CannotRunError, UsageError, explainSystemError, isSystemError } from '../errors.js';
import { CaptureBatch } from './capture-batch.js';
import type {
  BurstChecksum,
  NativeCapturedFrame,
  NativePacketSocket,
  NativeSocketOptions,
  NativeSocketStats,
  NativeTokenHits,
} from './socket-binding.js';

export type SniffOptions = NativeSocketOptions;
export type CapturedFrame = NativeCapturedFrame;
export type TokenHits = NativeTokenHits;
export type SocketStats = NativeSocketStats;
export type { BurstChecksum };
export { CaptureBatch };

/**
 * Rewrites a system error from the addon into one a user can act on, keeping
 * code/errno/syscall. An unknown interface is bad input (exit 2); anything
 * else means we could not run (exit 3).
 */
export function socketError(err: unknown, ifname: string): Error {
  if (!isSystemError(err)) return err instanceof Error ? err : new Error(String(err));
  const message = explainSystemError(err, ifname);
  const mapped =
    err.code === 'ENODEV' || err.code === 'ENXIO'
      ? new UsageError(message)
      : new CannotRunError(`${ifname}: ${message}`, { cause: err });
  return Object.assign(mapped, { code: err.code, errno: err.errno, syscall: err.syscall });
}

export class PacketSocket {
  private readonly frameListeners: Array<(batch: CapturedFrame[]) => void> = [];
  private readonly recordListeners: Array<(batch: CaptureBatch) => void> = [];
  private readonly tokenListeners: Array<(hits: TokenHits) => void> = [];
  private readonly errorListeners: Array<(err: Error) => void> = [];
  private started = false;
  private closing: Promise<void> | undefined;

  private constructor(private readonly handle: NativePacketSocket) {}

  /** Opens (and, unless `capture: false`, starts filtering into the ring) on `ifname`. */
  static open(ifname: string, opts: SniffOptions = {}): PacketSocket {
    const { PacketSocket: Native } = native();
    try {
      return new PacketSocket(new Native(ifname, opts));
    } catch (err) {
      throw socketError(err, ifname);
    }
  }

  /**
   * open() with the capture socket set up on a libuv pool thread: setting up
   * its ring waits for an RCU grace period in the kernel (7-12 ms), which
   * open() spends with the event loop stopped, once per run.
   */
  static async openAsync(ifname: string, opts: SniffOptions = {}): Promise<PacketSocket> {
    if (opts.capture === false) return PacketSocket.open(ifname, opts);
    const binding = native();
    try {
      const prepared = await binding.openCaptureAsync(ifname, opts);
      return new PacketSocket(new binding.PacketSocket(ifname, opts, prepared));
    } catch (err) {
      throw socketError(err, ifname);
    }
  }

  get ifname(): string {
    return this.handle.ifname;
  }
  get ifindex(): number {
    return this.handle.ifindex;
  }
  /** Lower-case aa:bb:cc:dd:ee:ff. */
  get mac(): string {
    return this.handle.mac;
  }
  get closed(): boolean {
    return this.handle.closed;
  }

  send(frame: Buffer): void {
    try {
      this.handle.send(frame);
    } catch (err) {
      throw socketError(err, this.ifname);
    }
  }

  /**
   * Sends `count` copies of `frame` as fast as the kernel takes them. With
   * `seqOffset`, copy i carries (the u32 BE found there) + i; `checksum`
   * names the innermost checksum to keep valid. Returns the number sent.
   */
  sendBurst(frame: Buffer, count: number, seqOffset?: number, checksum?: BurstChecksum): number {
    try {
      return this.handle.sendBurst(frame, count, seqOffset, checksum);
    } catch (err) {
      throw socketError(err, this.ifname);
    }
  }

  /**
   * sendBurst off the JS thread: the same frames, sent from a libuv pool
   * thread, so timers, the control channel and capture keep being served
   * (for the agent and other embedders; the CLI may use sendBurst).
   */
  async sendBurstAsync(frame: Buffer, count: number, seqOffset?: number, checksum?: BurstChecksum): Promise<number> {
    try {
      return await this.handle.sendBurstAsync(frame, count, seqOffset, checksum);
    } catch (err) {
      throw socketError(err, this.ifname);
    }
  }

  /** Receives captured frames in batches (frames whose token went to onTokens excluded). */
  onFrames(cb: (batch: CapturedFrame[]) => void): void {
    this.frameListeners.push(cb);
    this.ensureStarted();
  }

  /**
   * Receives each wake-up's frames as flat records (every frame parsed
   * natively; objects assembled only on demand). The batch is valid during
   * the call only.
   */
  onRecords(cb: (batch: CaptureBatch) => void): void {
    this.recordListeners.push(cb);
    this.ensureStarted();
  }

  /** Receives the native fast path's token hits (needs `tokenRunId`). */
  onTokens(cb: (hits: TokenHits) => void): void {
    this.tokenListeners.push(cb);
    this.ensureStarted();
  }

  /** A capture error (the poll failed); capture has stopped. */
  onError(cb: (err: Error) => void): void {
    this.errorListeners.push(cb);
  }

  /**
   * Collects frames until `untilMs` (ms since the epoch) or until `stop`
   * returns true for the frames so far, whichever comes first.
   */
  collect(
    untilMs: number,
    predicate: (f: CapturedFrame) => boolean = () => true,
    stop?: (kept: CapturedFrame[]) => boolean,
  ): Promise<CapturedFrame[]> {
    const kept: CapturedFrame[] = [];
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const i = this.frameListeners.indexOf(onBatch);
        if (i >= 0) this.frameListeners.splice(i, 1);
        if (err) reject(err);
        else resolve(kept);
      };
      const onBatch = (batch: CapturedFrame[]) => {
        if (done) return;
        for (const f of batch) if (predicate(f)) kept.push(f);
        if (stop?.(kept)) finish();
      };
      const timer = setTimeout(() => finish(), Math.max(0, untilMs - Date.now()));
      this.onError((err) => finish(err));
      this.onFrames(onBatch);
    });
  }

  /** Frames as an async iterable; ends when the socket is closed. */
  async *frames(): AsyncIterable<CapturedFrame> {
    const queue: CapturedFrame[][] = [];
    let wake: (() => void) | undefined;
    this.onFrames((batch) => {
      queue.push(batch);
      wake?.();
    });
    while (!this.closed) {
      const batch = queue.shift();
      if (batch) {
        yield* batch;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        // Re-check now and then so close() ends the iteration.
        setTimeout(resolve, 100);
      });
      wake = undefined;
    }
  }

  stats(): SocketStats {
    return this.handle.stats();
  }

  /** Stops delivering frames but keeps the socket (the ring keeps filling). */
  pause(): void {
    if (!this.started) return;
    this.started = false;
    this.handle.stop();
  }

  /**
   * Idempotent. Stats stay readable afterwards. Blocks for the kernel's
   * socket release (tens of ms with a ring, docs/performance.md): for exit
   * paths; long-lived callers use closeAsync().
   */
  close(): void {
    this.started = false;
    this.handle.close();
  }

  /**
   * close() with the slow half off the JS thread. The socket is closed at
   * once (`closed` is true, send/start throw EBADF, no batch is delivered
   * again); the fds and the ring are released on a libuv pool thread and the
   * promise resolves when they are gone. Every call gets the same promise,
   * which never rejects, so a caller may ignore it. close() afterwards is a no-op.
   */
  closeAsync(): Promise<void> {
    this.started = false;
    // The worker owns the fds and releases them whatever happens to the
    // promise, so a failure to settle it is nothing a caller could act on.
    this.closing ??= this.handle.closeAsync().catch(() => undefined);
    return this.closing;
  }

  private ensureStarted(): void {
    if (this.started) return;
    this.started = true;
    try {
      this.handle.start((err, records, count, messages, raws, tokens) => {
        if (err) {
          this.started = false;
          const mapped = socketError(err, this.ifname);
          for (const cb of [...this.errorListeners]) cb(mapped);
          return;
        }
        if (records && count > 0) {
          const batch = new CaptureBatch(records, count, messages, raws);
          for (const cb of [...this.recordListeners]) cb(batch);
          if (this.frameListeners.length) {
            const frames = batch.frames();
            for (const cb of [...this.frameListeners]) cb(frames);
          }
        }
        if (tokens && tokens.seq.length) for (const cb of [...this.tokenListeners]) cb(tokens);
      });
    } catch (err) {
      this.started = false;
      throw socketError(err, this.ifname);
    }
  }
}
