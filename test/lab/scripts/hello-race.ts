// Runs inside a namespace against a real `vxprobe listen`: an authenticated
// peer that fires concurrent `hello`s (the leak of the security review), and
// names a UDP port held by a process with a credential in its argv.
// argv: PORT MODE (race|hold) HOLDER_PORT. Prints one JSON line; in `hold`
// mode then opens another run, prints HELD and keeps the session open until stdin closes.
import { ControlClient } from '../../../src/pair/control/index.js';
import { pairMethods } from '../../../src/pair/messages.js';

const [portText = '17473', mode = 'race', holderText = '45000'] = process.argv.slice(2);
const secret = Buffer.from(process.env.VXPROBE_SECRET ?? '', 'utf8');
const client = await ControlClient.connect({ host: '127.0.0.1', port: Number(portText), secret, methods: pairMethods, callTimeoutMs: 20_000 });
const probeKey = 'ab'.repeat(16);
const hello = (runId: number, ports = [8472]) => client.call('hello', { runId, ports, baselinePort: 33473, initiatorVteps: [], probeKey });
const outcomes: string[] = [];
for (let round = 0; round < 3; round++) {
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => hello(1000 + round * 8 + i)));
  outcomes.push(...results.map((r) => (r.status === 'fulfilled' ? 'ok' : `${(r.reason as Error).message}`)));
}
// Port holders are among the facts the listener gives with `finish`.
await hello(4242, [Number(holderText)]);
const { facts } = await client.call('finish', {});
const holders = facts.ports.find((p) => p.port === Number(holderText))?.holders ?? [];
process.stdout.write(`${JSON.stringify({ outcomes, holders, hostname: facts.hostname })}\n`);
if (mode === 'hold') {
  await hello(4243);
  process.stdout.write('HELD\n');
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on('end', resolve));
}
client.close();
