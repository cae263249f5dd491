// Embedding check: uses vxprobe as a library (`import { pair, listen }`),
// exactly as an agent would. argv: listen|pair, then JSON options.
import { listen, pair } from '../../../src/index.js';

const [mode, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as { iface: string; peer?: string; name: string };
const secret = Buffer.from(process.env.VXPROBE_SECRET ?? '', 'utf8');
if (mode === 'listen') {
  const l = await listen({ iface: opts.iface, secret, once: true, name: opts.name });
  process.stderr.write(`waiting on ${l.port}\n`);
  await l.done;
} else {
  const report = await pair({ peer: opts.peer!, iface: opts.iface, secret, name: opts.name });
  process.stdout.write(JSON.stringify(report));
}
