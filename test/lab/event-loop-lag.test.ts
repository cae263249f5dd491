// The async variants keep the event loop serving timers while the addon
// works: a 1,000,000-frame burst (inside a namespace and veth made here), a
// 10,000-entry FDB dump, and opening and closing capture sockets. The sync variants, measured the same way, show
// that the measurement would catch a blocked loop.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Shell } from '../../src/lab/exec.js';
import { deleteNetns, newRunTag, type Netns } from '../../src/lab/netns.js';
import { describeRoot } from '../helpers/root.js';
import { runInNs } from '../helpers/ns-node.js';
import { createBigNode } from './helpers/big-node.js';
import { measureLag } from './helpers/loop-lag.js';

const lag = measureLag;

describeRoot('event loop during a burst and a big netlink dump', () => {
  const shell = new Shell();
  let nodes: Netns[] = [];

  beforeAll(() => {
    const { node, peer } = createBigNode(shell, newRunTag(), 10_000);
    nodes = [node, peer];
  }, 120_000);
  afterAll(() => {
    for (const ns of nodes) deleteNetns(shell, ns);
  });

  it('sendBurstAsync: 1,000,000 frames leave while 1 ms timers keep firing', () => {
    const sync = lag(nodes[0]!.name, 'burst-sync', 200_000);
    const async = lag(nodes[0]!.name, 'burst-async', 1_000_000);
    expect(async.work).toBe(1_000_000);
    // The blocking call holds the loop for the whole burst; the async one does not.
    expect(sync.max).toBeGreaterThan(Math.min(50, sync.ms / 2));
    expect(sync.p50).toBeGreaterThan(10);
    // Timers keep firing all through the burst: p95 well under 10 ms (about
    // 0.2 ms measured). Not the max: on this shared 2-core machine an idle
    // node process, doing nothing but the timers, sees single lags of 10-65 ms
    // (the OS scheduler; docs/performance.md), so no max bound would be honest.
    expect(async.timers).toBeGreaterThan(async.ms / 20);
    expect(async.p50).toBeLessThan(10);
    expect(async.p95).toBeLessThan(10);
  }, 120_000);

  it('sendBurstAsync finishes intact when the socket is closed and the frame overwritten meanwhile', () => {
    expect(lag(nodes[0]!.name, 'burst-async-close', 100_000).work).toBe(100_000);
  }, 120_000);

  it('captured frames carry the kernel\'s receive time, not the time JS got to them', () => {
    const out = runInNs(nodes[0]!.name, 'test/lab/scripts/kernel-time.ts', ['eth0', '300']).trim().split('\n').pop()!;
    const t = JSON.parse(out) as { sentAt: number; captured: number; deliveredAt: number };
    expect(t.deliveredAt - t.sentAt).toBeGreaterThanOrEqual(300);
    // Date.now() is whole ms; the kernel stamped the frame as it left.
    expect(t.captured).toBeGreaterThanOrEqual(t.sentAt - 1);
    expect(t.captured - t.sentAt).toBeLessThan(100);
  }, 60_000);

  // Closing and opening a capture socket both wait for an RCU grace period in
  // the kernel: tens of ms for a close and 7-12 ms for an open on a quiet
  // machine, ~1 ms when busy CPUs end grace periods fast (docs/performance.md).
  it.each(['close', 'open'] as const)('%sAsync: 20 capture sockets while 1 ms timers keep firing', (what) => {
    const sync = lag(nodes[0]!.name, `${what}-sync`, 20);
    const async = lag(nodes[0]!.name, `${what}-async`, 20);
    expect(sync.work).toBe(20);
    expect(async.work).toBe(20);
    // A blocking call holds the loop for the kernel's wait; the probe sees each one whole ...
    expect(sync.max).toBeGreaterThan(sync.callMax! - 1.5);
    // ... while the async variant leaves the JS thread at once: the wait is on the pool.
    expect(async.callP50! * 5).toBeLessThan(sync.callP50!);
    expect(async.timers).toBeGreaterThan(async.ms / 20);
    // p95, not max: see the burst test above.
    expect(async.p95).toBeLessThan(10);
  }, 120_000);

  it('readFdbAsync: 10,000 FDB entries read while 1 ms timers keep firing', () => {
    const async = lag(nodes[0]!.name, 'fdb-async', 0);
    const sync = lag(nodes[0]!.name, 'fdb-sync', 0);
    expect(async.work).toBe(sync.work);
    expect(async.work).toBeGreaterThanOrEqual(10_000);
    expect(sync.p50).toBeGreaterThan(10);
    expect(async.timers).toBeGreaterThan(async.ms / 20);
    // The median only: the dump is ~30 timers, and its few largest lags are
    // the young-generation GCs of the 10,000 result rows (3-12 ms at load
    // 5-6, docs/performance.md), which grow with the machine's load.
    expect(async.p50).toBeLessThan(10);
  }, 120_000);
});
