// The peer of the soak benchmark (bench/soak.ts): COUNT pairings against the
// listener, each a real control session (TLS-PSK, hello → plan → send →
// observations → finish) that opens a run with its sniffer on the listener.
// With HOSTILE > 0, that many hostile connections are interleaved with every
// pairing: idle TLS-less sockets, wrong-secret TLS, garbage, and an
// authenticated peer that races hellos and disconnects mid-run.
// Prints "PROGRESS n ok failed" every STEP pairings, then "DONE".
import { connect } from 'node:net';
import { ControlClient } from '../../src/pair/control/index.js';
import { pairMethods } from '../../src/pair/messages.js';
import type { ProbeSpec } from '../../src/pair/plan-types.js';

// LISTENER: its address; SOURCES: comma-separated local addresses, one
// concurrent pairing loop each (one session per peer address at the listener);
// HOSTILE_SOURCE: where hostile connections come from.
const [host = '', portText = '17474', sourcesText = '', hostileSource = '', countText = '10000', stepText = '1000', hostileText = '0'] = process.argv.slice(2);
const port = Number(portText);
const sources = sourcesText.split(',');
const secret = Buffer.from(process.env.VXPROBE_SECRET ?? '', 'utf8');
const probeKey = 'ef'.repeat(16);
const probes: ProbeSpec[] = [
  { probeId: 1, direction: 'reverse', kind: 'plain', port: 8472, vni: null, size: null, copies: 1 },
  { probeId: 2, direction: 'reverse', kind: 'baseline', port: 33473, vni: null, size: null, copies: 1 },
];

async function pairing(runId: number, localAddress: string): Promise<void> {
  const c = await ControlClient.connect({ host, port, secret, methods: pairMethods, timeoutMs: 5000, localAddress });
  try {
    await c.call('hello', { runId, ports: [8472], baselinePort: 33473, initiatorVteps: [], probeKey });
    await c.call('plan', { probes });
    await c.call('send', { probeIds: [1, 2], round: 1 });
    await c.call('observations', { fromSighting: 0, fromIcmp: 0 });
    await c.call('finish', {});
  } finally {
    c.close();
  }
}

async function hostile(kind: number, runId: number): Promise<void> {
  switch (kind % 4) {
    case 0: {
      // Idle plain TCP, dropped after a moment by us (the listener would cut it at its deadline).
      const s = connect({ host, port, localAddress: hostileSource });
      s.on('error', () => undefined);
      await new Promise((r) => setTimeout(r, 5));
      s.destroy();
      return;
    }
    case 1:
      await ControlClient.connect({ host, port, secret: Buffer.from('wrong-secret-for-the-soak-Xy7'), timeoutMs: 2000, localAddress: hostileSource }).then(
        (c) => c.close(),
        () => undefined,
      );
      return;
    case 2: {
      const s = connect({ host, port, localAddress: hostileSource });
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((r) => s.on('close', r));
      return;
    }
    default: {
      // Authenticated, races 4 hellos, then vanishes without finish.
      const c = await ControlClient.connect({ host, port, secret, methods: pairMethods, timeoutMs: 5000, localAddress: hostileSource });
      await Promise.allSettled(Array.from({ length: 4 }, (_, i) => c.call('hello', { runId: runId + i, ports: [8472], baselinePort: 33473, initiatorVteps: [], probeKey })));
      c.close();
    }
  }
}

let ok = 0;
let failed = 0;
let started = 0;
let finished = 0;
let firstError = '';
const count = Number(countText);
const step = Number(stepText);
async function loop(source: string): Promise<void> {
  while (started < count) {
    const i = ++started;
    try {
      await pairing(i, source);
      ok++;
    } catch (err) {
      failed++;
      firstError ||= (err as Error).message;
    }
    for (let h = 0; h < Number(hostileText); h++) await hostile(i + h, 1_000_000 + i * 8).catch(() => undefined);
    finished++;
    if (finished % step === 0) process.stdout.write(`PROGRESS ${finished} ${ok} ${failed}\n`);
  }
}
await Promise.all(sources.map(loop));
process.stdout.write(`DONE ${ok} ${failed} ${JSON.stringify(firstError)}\n`);
