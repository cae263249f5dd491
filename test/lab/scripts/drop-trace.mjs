// Runs with tracefs mounted in a private mount namespace: starts a kernel drop
// trace on lo, prints its instance directory, then ends the way argv[2] says
// (stop, exit without stop, or wait for a signal). Plain node on the built
// dist/, so no loader's own signal handlers stand between us and the signal.
import { DropTrace } from '../../../dist/host/drop-trace.js';

const how = process.argv[2] ?? 'stop';
const trace = DropTrace.start('lo');
process.stdout.write(`${JSON.stringify({ instance: trace.instance })}\n`);
if (how === 'stop') {
  const capture = trace.stop([]);
  process.stdout.write(`${JSON.stringify({ capture })}\n`);
} else if (how === 'exit') {
  process.exit(0);
} else {
  setInterval(() => undefined, 1000);
}
