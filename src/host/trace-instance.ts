// The tracefs instance behind kernel drop tracing (docs/kernel-drop-reasons.md):
// one per NIC and process, shared by every run that traces that NIC.
//
// Making an instance and setting it up waits on the kernel (buffer resets,
// RCU grace periods: about 25 ms, 40 ms and more on a busy 2-core VM), and
// removing it another 30-70 ms. A one-shot `pair` pays that once, off its
// critical path; a listener or an agent keeps its instance for its whole life
// (retain()), so a run only switches tracing on and reads the buffer. All
// tracefs writes run on the libuv thread pool and are serialised per
// instance; tracing is on exactly while at least one run is open, and the
// buffer is cleared whenever the last one ends, so a run reads only its own
// window and the NIC is never traced while nobody looks.
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { native } from '../native.js';

/**
 * Each write opens, writes and closes its file on one pool thread
 * (native/file_ops.cc): Node's own async writes leave a file open between
 * steps that need the JS thread, and tracefs refuses to remove an instance
 * while any of its files is open, so an exit handler could never remove it.
 */
const put = (dir: string, file: string, value: string): Promise<void> => native().writeFilesAsync([[join(dir, file), value]]);

/** Per-CPU ring size (the kernel allocates it per CPU): room for a probe window on a busy host. */
const BUFFER_KB = 1024;
/** What is switched off before the instance is removed. */
const SWITCHES = ['tracing_on', 'events/net/netif_receive_skb/enable', 'events/skb/kfree_skb/enable'];

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** The instance in use per root and NIC. */
const instances = new Map<string, TraceInstance>();
/** Every instance whose directory may exist (those being removed too): what an exit removes. */
const live = new Set<TraceInstance>();
let hooked = false;

function cleanupAll(): void {
  for (const i of [...live]) i.removeNow();
}

function onSignal(signal: NodeJS.Signals): void {
  // Counted before cleanup, which unhooks us once no instance is left.
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

export class TraceInstance {
  /** Why this instance cannot trace (set up failed), once known. */
  private failure: string | null = null;
  private readonly setup: Promise<void>;
  /** Every tracefs write after setup, in order. */
  private chain: Promise<void>;
  private users = 0;
  private retains = 0;
  private on = false;
  private gone = false;

  private constructor(
    private readonly key: string,
    readonly dir: string,
    private readonly nic: string,
  ) {
    this.setup = this.configure();
    this.chain = this.setup;
  }

  /**
   * The instance tracing `nic` under `root`, made now if there is none.
   * Throws (with a one-line reason) when the directory cannot be made.
   */
  static for(root: string, nic: string, stableName?: string): TraceInstance {
    const key = `${root}|${nic}`;
    const existing = instances.get(key);
    if (existing) return existing;
    const dir = join(root, 'instances', stableName ?? `vxprobe-${process.pid}-${randomBytes(4).toString('hex')}`);
    // A stable name is a long-lived listener's: one left there is its
    // predecessor's, killed before it could remove it (SIGKILL, OOM).
    if (stableName) reclaim(dir);
    // Made here, on the JS thread (about 2 ms): from now on an exit handler
    // knows for certain there is a directory to remove.
    try {
      mkdirSync(dir);
    } catch (err) {
      throw new Error(`cannot create a tracefs instance (${codeOf(err)})`);
    }
    const instance = new TraceInstance(key, dir, nic);
    instances.set(key, instance);
    live.add(instance);
    hookProcess();
    return instance;
  }

  private async configure(): Promise<void> {
    try {
      await put(this.dir, 'trace_clock', 'mono');
      await put(this.dir, 'buffer_size_kb', String(BUFFER_KB));
      // Reading `trace` would otherwise pause recording, and with it every other run's window.
      await put(this.dir, 'options/pause-on-trace', '0').catch(() => undefined);
      await put(this.dir, 'events/net/netif_receive_skb/filter', `name == "${this.nic}"`);
      // IPv4 only (ETH_P_IP): VXLAN underlays here are IPv4. A kernel that
      // cannot filter on protocol still works, with more events to skip.
      await put(this.dir, 'events/skb/kfree_skb/filter', 'protocol == 2048').catch(() => undefined);
      await put(this.dir, 'events/net/netif_receive_skb/enable', '1');
      await put(this.dir, 'events/skb/kfree_skb/enable', '1');
    } catch (err) {
      this.failure = `cannot set up kernel drop tracing (${codeOf(err)})`;
    }
  }

  /** Keeps the instance (and its setup) across runs until the returned release is called. */
  retain(): () => Promise<void> {
    this.retains++;
    let released = false;
    return () => {
      if (released) return this.chain;
      released = true;
      this.retains--;
      return this.settle();
    };
  }

  /**
   * A run begins: tracing is on once this resolves. Resolves to why not
   * when the instance cannot trace. Every begin() is paired with one end().
   */
  begin(): Promise<string | null> {
    this.users++;
    const started = this.chain.then(async () => {
      if (this.failure) return this.failure;
      if (!this.on && this.users > 0) {
        await put(this.dir, 'tracing_on', '1');
        this.on = true;
      }
      return null;
    });
    this.chain = started.then(() => undefined, () => undefined);
    return started.catch((err) => `cannot switch kernel drop tracing on (${codeOf(err)})`);
  }

  /** A run ends; the last one switches tracing off and clears the buffer (or removes the instance). */
  end(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    return this.settle();
  }

  private settle(): Promise<void> {
    if (this.users > 0) return this.chain;
    if (this.retains === 0) {
      // Forgotten at once: a run starting from here on makes a fresh instance.
      if (instances.get(this.key) === this) instances.delete(this.key);
      this.chain = this.chain.then(() => this.remove());
      return this.chain;
    }
    this.chain = this.chain.then(async () => {
      if (this.users > 0 || !this.on) return;
      await put(this.dir, 'tracing_on', '0').catch(() => undefined);
      this.on = false;
      // Opening `trace` for writing with truncation empties the buffer.
      await put(this.dir, 'trace', '').catch(() => undefined);
    }).catch(() => undefined);
    return this.chain;
  }

  /** The buffer as text, at most `max` bytes. */
  async read(max: number): Promise<string> {
    return (await native().readFileAsync(join(this.dir, 'trace'), max)).toString('utf8');
  }

  /** Events the buffer lost so far (summed over CPUs; the caller takes differences). */
  async overruns(): Promise<number> {
    let sum = 0;
    try {
      for (const cpu of await readdir(join(this.dir, 'per_cpu'))) {
        const stats = (await native().readFileAsync(join(this.dir, 'per_cpu', cpu, 'stats'), 4096)).toString('utf8');
        const m = /^overrun:\s*(\d+)/m.exec(stats);
        if (m) sum += Number(m[1]);
      }
    } catch {
      // No per-CPU stats: report no overrun rather than guess.
    }
    return sum;
  }

  private async remove(): Promise<void> {
    if (this.gone) return;
    for (const file of SWITCHES) await put(this.dir, file, '0').catch(() => undefined);
    // Gone already (an exit handler, someone else): nothing left to do.
    await rmdir(this.dir).catch(() => undefined);
    this.forget();
  }

  /** Blocking removal, for exit and signal handlers, where nothing async runs any more. */
  removeNow(): void {
    for (const file of SWITCHES) {
      try {
        writeFileSync(join(this.dir, file), '0');
      } catch {
        // Already gone or never set.
      }
    }
    removeDir(this.dir);
    this.forget();
  }

  private forget(): void {
    this.gone = true;
    if (instances.get(this.key) === this) instances.delete(this.key);
    live.delete(this);
    unhookProcess();
  }
}

function reclaim(dir: string): void {
  for (const file of SWITCHES) {
    try {
      writeFileSync(join(dir, file), '0');
    } catch {
      return; // nothing there
    }
  }
  removeDir(dir);
}

/**
 * rmdir, blocking. The kernel refuses (EBUSY) while a file of the instance
 * is open, which it is when an exit comes while a write runs on the thread
 * pool: wait for that write, up to a bound, rather than leak the instance.
 */
function removeDir(dir: string): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let tries = 0; tries < 100; tries++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') return; // gone already
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}
