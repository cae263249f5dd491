// The peer of the soak benchmark (bench/soak.ts): COUNT pairings against the
// listener, each a real control session (TLS-PSK, hello → plan → send →
// observations → finish) that opens a run with its sniffer on the listener.
// With HOSTILE > 0, that many hostile connections are interleaved with every
// pairing: idle TLS-less sockets, wrong-secret TLS, garbage, and an
// authenticated peer that races hellos and disconnects mid-run.
// Prints "PROGRESS n ok failed" every STEP pairings (nothing in flight), then "DONE".
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
let firstError = '';
const count = Number(countText);
const step = Number(stepText);

/** Pairings next..end, spread over the sources (one loop each, as one session per peer). */
async function batch(first: number, end: number): Promise<void> {
  let next = first;
  await Promise.all(
    sources.map(async (source) => {
      while (next <= end) {
        const i = next++;
        try {
          await pairing(i, source);
          ok++;
        } catch (err) {
          failed++;
          firstError ||= (err as Error).message;
        }
        for (let h = 0; h < Number(hostileText); h++) await hostile(i + h, 1_000_000 + i * 8).catch(() => undefined);
      }
    }),
  );
}

// Every STEP pairings nothing is in flight: PROGRESS, then a pause, so the
// bench samples the listener at rest.
for (let done = 0; done < count; ) {
  const end = Math.min(count, done + step);
  await batch(done + 1, end);
  done = end;
  process.stdout.write(`PROGRESS ${done} ${ok} ${failed}\n`);
  // Longer than the 1 s a closed control socket may linger before it is destroyed.
  await new Promise((r) => setTimeout(r, 1200));
}
process.stdout.write(`DONE ${ok} ${failed} ${JSON.stringify(firstError)}\n`);
