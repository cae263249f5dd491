// Both ends of a control channel for the path-MTU black-hole test, run in a
// lab node each. argv: server HOST PORT | client HOST PORT BYTES.
// The server prints READY once listening; the client prints one JSON line.
import { ControlClient, ControlServer, implement } from '../../../src/pair/control/index.js';
import { methods } from '../../unit/control-fixture.js';

const [mode, host = '', portText = '17474', bytesText = '0'] = process.argv.slice(2);
const secret = Buffer.from(process.env.VXPROBE_SECRET ?? '', 'utf8');
const port = Number(portText);
if (mode === 'server') {
  const handlers = implement(methods, {
    probe: async ({ port: p }, session) => ({ sentTo: session.peerAddress, port: p }),
    fail: async () => ({}),
    slow: async () => ({}),
    big: async ({ bytes }) => ({ data: 'x'.repeat(bytes) }),
  });
  await ControlServer.listen({ host, port, secret, handlers });
  process.stdout.write('READY\n');
} else {
  const started = Date.now();
  const client = await ControlClient.connect({ host, port, secret, methods, timeoutMs: 5000, callTimeoutMs: 8000 });
  const { data } = await client.call('big', { bytes: Number(bytesText) });
  client.close();
  process.stdout.write(`${JSON.stringify({ length: data.length, ms: Date.now() - started })}\n`);
}
