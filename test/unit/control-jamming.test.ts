// Unauthenticated jamming (docs/threat-model.md): idle or slow connections
// from many sources must not keep a real pairing out, one source may hold
// only a few, and failed connections are logged as one summary per interval.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/pair/control/index.js';
import { RejectLog } from '../../src/pair/control/reject-log.js';
import { Admission, sourceKey } from '../../src/pair/control/admission.js';
import { LinePeer } from './control-raw-peer.js';
import { methods, SECRET, startServer, type Fixture } from './control-fixture.js';

let fixture: Fixture | undefined;
let stopJam: (() => void) | undefined;
const peers: LinePeer[] = [];

afterEach(async () => {
  stopJam?.();
  stopJam = undefined;
  for (const p of peers.splice(0)) p.close();
  await fixture?.server.close();
  fixture = undefined;
});

/** Source address number i (127.0.1.0 + i): Linux answers for all of 127/8 on lo. */
const source = (i: number) => `127.0.${1 + (i >> 8)}.${i & 255}`;

async function pairOnce(port: number): Promise<boolean> {
  try {
    const client = await ControlClient.connect({ host: '127.0.0.1', port, secret: SECRET, methods, timeoutMs: 1500 });
    try {
      await client.call('probe', { port: 8472 });
      return true;
    } finally {
      client.close();
    }
  } catch {
    return false;
  }
}

/**
 * Keeps `count` connections open from `count` sources, re-opening each as soon
 * as the server drops it (the sustained attack of the security review). Half
 * stay silent, half dribble one byte every 100 ms.
 */
function jam(port: number, count: number): { open: () => number; stop: () => void } {
  let stopped = false;
  const live = new Set<LinePeer>();
  const timers: NodeJS.Timeout[] = [];
  const hold = (i: number): void => {
    if (stopped) return;
    LinePeer.connect(port, null, source(i)).then(
      (p) => {
        peers.push(p);
        live.add(p);
        if (i % 2 === 1) {
          const t = setInterval(() => (p.closed ? clearInterval(t) : p.sendRaw('\x16')), 100);
          timers.push(t);
        }
        void p.closedPromise.then(() => {
          live.delete(p);
          hold(i);
        });
      },
      () => setTimeout(() => hold(i), 20),
    );
  };
  for (let i = 0; i < count; i++) hold(i);
  return {
    open: () => live.size,
    stop: () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
    },
  };
}

describe('listener jamming', () => {
  it('a real pairing gets through while 200 idle/slow connections are held open', async () => {
    fixture = await startServer();
    const attack = jam(fixture.port, 200);
    stopJam = attack.stop;
    const start = Date.now();
    while (attack.open() < 200 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(attack.open()).toBe(200);
    const results: boolean[] = [];
    // Across more than one handshake deadline, so the jammer's re-opens are in play.
    for (let i = 0; i < 12; i++) {
      results.push(await pairOnce(fixture.port));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(results.filter(Boolean)).toHaveLength(12);
  }, 20_000);

  it('one source holds at most maxPendingPerSource unauthenticated connections', async () => {
    fixture = await startServer({ limits: { maxPendingPerSource: 4 } });
    const held = await Promise.all(Array.from({ length: 10 }, () => LinePeer.connect(fixture!.port, null, '127.0.9.9')));
    peers.push(...held);
    await new Promise((r) => setTimeout(r, 200));
    expect(held.filter((p) => !p.closed)).toHaveLength(4);
    expect(await pairOnce(fixture.port)).toBe(true);
  });

  it('with every slot taken, the oldest pending connection makes room for a newcomer', async () => {
    fixture = await startServer({ limits: { maxPendingHandshakes: 8, handshakeTimeoutMs: 10_000 } });
    const held = await Promise.all(Array.from({ length: 8 }, (_, i) => LinePeer.connect(fixture!.port, null, source(i))));
    peers.push(...held);
    await new Promise((r) => setTimeout(r, 100));
    expect(await pairOnce(fixture.port)).toBe(true);
    expect(held[0]!.closed).toBe(true);
  });

  it('an authenticated session does not count against the pending slots of its source', async () => {
    fixture = await startServer({ limits: { maxPendingPerSource: 1, maxSessions: 2 } });
    const first = await ControlClient.connect({ host: '127.0.0.1', port: fixture.port, secret: SECRET, methods, timeoutMs: 1500, localAddress: '127.0.5.1' });
    const second = await ControlClient.connect({ host: '127.0.0.1', port: fixture.port, secret: SECRET, methods, timeoutMs: 1500 });
    expect(await second.call('probe', { port: 1 })).toEqual({ sentTo: '127.0.0.1', port: 1 });
    first.close();
    second.close();
  });
});

describe('reject log', () => {
  it('many failed connections in one interval make one summary line', async () => {
    const lines: string[] = [];
    const log = new RejectLog({ intervalMs: 400, log: (l) => lines.push(l) });
    fixture = await startServer({ limits: { handshakeTimeoutMs: 100 }, onReject: (s, r) => log.note(s, r) });
    const sockets: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const p = await LinePeer.connect(fixture.port, null, source(i % 5));
      p.sendRaw('GET / HTTP/1.1\r\n\r\n');
      peers.push(p);
      sockets.push(p.socket);
    }
    await new Promise((r) => setTimeout(r, 700));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rejected 50 unauthenticated connections in the last 0.4 s from 5 sources \(127\.0\.1\.\d x10, /);
    log.close();
  });
});

describe('admission bookkeeping', () => {
  it('groups IPv6 sources by /64 and IPv4 by address', () => {
    expect(sourceKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2:aaaa::9')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('10.0.0.7')).toBe('10.0.0.7');
  });

  it('settling frees the per-source count; eviction picks the oldest', () => {
    const a = new Admission(2, 1);
    const e = (source: string) => ({ source, drop: () => undefined });
    const x = e('1.1.1.1');
    expect(a.admit(x)).toEqual({ admitted: true });
    expect(a.admit(e('1.1.1.1'))).toEqual({ admitted: false, reason: 'per-source cap' });
    a.settle(x);
    const y = e('1.1.1.1');
    expect(a.admit(y).admitted).toBe(true);
    expect(a.admit(e('2.2.2.2')).admitted).toBe(true);
    const third = a.admit(e('3.3.3.3'));
    expect(third).toEqual({ admitted: true, evicted: y });
    expect(a.size).toBe(2);
  });
});
