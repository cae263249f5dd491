// Event-loop lag (how late 1 ms timers fire) while the addon works, before
// (the blocking calls the CLI uses) and after (the async variants pairing
// and embedders use): a 1,000,000-frame burst on a veth, a dump of a
// 10,000-entry FDB and closing capture sockets, in a namespace made for the run (test/lab/scripts/loop-lag.ts).
import { readFileSync } from 'node:fs';
import { Shell } from '../src/lab/exec.js';
import { deleteNetns, newRunTag } from '../src/lab/netns.js';
import { createBigNode } from '../test/lab/helpers/big-node.js';
import { measureLag, type Lag } from '../test/lab/helpers/loop-lag.js';

export async function benchEventLoop(): Promise<void> {
  const shell = new Shell();
  const { node, peer } = createBigNode(shell, newRunTag(), 10_000);
  try {
    const run = (mode: string, count: number): Lag => measureLag(node.name, mode, count);
    const rows: Array<[string, string, Lag]> = [
      ['burst 1,000,000 frames', 'before: sendBurst (blocking)', run('burst-sync', 1_000_000)],
      ['burst 1,000,000 frames', 'after: sendBurstAsync', run('burst-async', 1_000_000)],
      ['FDB dump, 10,000 entries', 'before: readFdb (blocking)', run('fdb-sync', 0)],
      ['FDB dump, 10,000 entries', 'after: readFdbAsync', run('fdb-async', 0)],
      ['close 20 capture sockets (8-block ring)', 'before: close (blocking)', run('close-sync', 20)],
      ['close 20 capture sockets (8-block ring)', 'after: closeAsync', run('close-async', 20)],
    ];
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`\n## event-loop lag while the addon works (1 ms timers; load average ${load})`);
    console.table(rows.map(([work, variant, l]) => ({
      work,
      variant,
      done: l.work,
      'took ms': l.ms.toFixed(0),
      'timers fired': l.timers,
      'lag p50 ms': l.p50.toFixed(1),
      'lag p95 ms': l.p95.toFixed(1),
      'lag max ms': l.max.toFixed(1),
    })));
    console.log('target: lag < 10 ms while the async variants run (p50/p95; the max includes OS scheduling on a shared machine).');
  } finally {
    deleteNetns(shell, node);
    deleteNetns(shell, peer);
  }
}
