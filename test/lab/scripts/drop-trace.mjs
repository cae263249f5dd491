// Runs with tracefs mounted in a private mount namespace: starts a kernel drop
// trace on lo, prints its instance directory once tracing is on, then ends the
// way argv[2] says. Plain node on the built dist/, so no loader's own signal
// handlers stand between us and the signal.
//   stop                 stop the run; the instance goes with it
//   exit                 exit without stopping
//   exit-while-starting  start and exit at once, while the set-up still runs on the thread pool
//   shared               two runs at once share one instance; a retained one outlives them
//   wait                 wait for a signal
import { existsSync } from 'node:fs';
import { DropTrace } from '../../../dist/host/drop-trace.js';

const how = process.argv[2] ?? 'stop';
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
if (how === 'exit-while-starting') {
  const starting = DropTrace.start('lo');
  print({ instance: starting.instance });
  process.exit(0);
}
if (how === 'shared') {
  const release = DropTrace.retain('lo');
  const a = DropTrace.start('lo');
  const b = DropTrace.start('lo');
  await Promise.all([a.ready(), b.ready()]);
  const instance = a.instance;
  const same = instance === b.instance;
  const captures = await Promise.all([a.stop([]), b.stop([])]);
  await a.close();
  const keptAfterRuns = existsSync(instance);
  const c = DropTrace.start('lo');
  await c.ready();
  const reused = c.instance === instance;
  await c.stop([]);
  await c.close();
  await release();
  print({ instance, same, available: captures.map((x) => x.available), keptAfterRuns, reused, goneAfterRelease: !existsSync(instance) });
  process.exit(0);
}
const trace = DropTrace.start('lo');
await trace.ready();
print({ instance: trace.instance });
if (how === 'stop') {
  const capture = await trace.stop([]);
  print({ capture });
} else if (how === 'exit') {
  process.exit(0);
} else {
  setInterval(() => undefined, 1000);
}
