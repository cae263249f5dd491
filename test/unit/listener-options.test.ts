// listen() as the agent embeds it (docs/threat-model.md): bound to its NIC's
// address by default, bounded concurrent sessions (one per peer), a summary
// line for rejected connections, and per-peer budgets.
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/pair/control/index.js';
import { pairMethods } from '../../src/pair/messages.js';
import { listen, type Listener } from '../../src/pair/responder.js';
import { PeerBudget } from '../../src/pair/peer-budget.js';
import { LinePeer } from './control-raw-peer.js';

const SECRET = Buffer.from('listener-options-secret-Q8w2');
let listener: Listener | undefined;
const clients: ControlClient<typeof pairMethods>[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await listener?.close();
  listener = undefined;
});

async function connect(localAddress: string): Promise<ControlClient<typeof pairMethods>> {
  const c = await ControlClient.connect({ host: '127.0.0.1', port: listener!.port, secret: SECRET, methods: pairMethods, timeoutMs: 1500, localAddress });
  clients.push(c);
  return c;
}

describe('listen() options', () => {
  it('binds the interface address by default, not every address', async () => {
    listener = await listen({ iface: 'lo', secret: SECRET, controlPort: 0 });
    expect(listener.host).toBe('127.0.0.1');
  });

  it('refuses an interface without IPv4 address with a clear line', async () => {
    await expect(listen({ iface: 'no-such-if0', secret: SECRET, controlPort: 0 })).rejects.toThrow(
      'interface no-such-if0 has no IPv4 address to listen on: pass --bind ADDR (or --bind 0.0.0.0 for all)',
    );
  });

  it('maxSessions: that many peers at once, the next is told it is busy', async () => {
    listener = await listen({ iface: 'lo', secret: SECRET, controlPort: 0, bind: '127.0.0.1', maxSessions: 2 });
    await connect('127.0.3.1');
    await connect('127.0.3.2');
    await expect(connect('127.0.3.3')).rejects.toThrow(/^peer is busy/);
  });

  it('failed connections make one summary line per interval', async () => {
    const lines: string[] = [];
    listener = await listen({ iface: 'lo', secret: SECRET, controlPort: 0, bind: '127.0.0.1', rejectLogIntervalMs: 300, log: (l) => lines.push(l), limits: { handshakeTimeoutMs: 100 } });
    const peers = await Promise.all(Array.from({ length: 20 }, (_, i) => LinePeer.connect(listener!.port, null, `127.0.4.${1 + (i % 4)}`)));
    for (const p of peers) p.sendRaw('\x16\x03\x01garbage');
    await Promise.all(peers.map((p) => p.closedPromise));
    await new Promise((r) => setTimeout(r, 500));
    const summaries = lines.filter((l) => l.startsWith('rejected'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatch(/^rejected 20 unauthenticated connections in the last 0\.3 s from 4 sources/);
    expect(lines.filter((l) => !l.startsWith('rejected'))).toEqual([]);
  });
});

describe('per-peer budget', () => {
  it('a peer over its run budget is refused before any work, across sessions', async () => {
    listener = await listen({ iface: 'lo', secret: SECRET, controlPort: 0, bind: '127.0.0.1', peerBudget: { runsPerMinute: 1 } });
    const hello = { runId: 1, ports: [8472], baselinePort: 33473, initiatorVteps: [], probeKey: 'cd'.repeat(16) };
    const first = await connect('127.0.6.1');
    // The first run may or may not open here (it needs CAP_NET_RAW); it counts either way.
    await first.call('hello', hello).catch(() => undefined);
    first.close();
    const again = await connect('127.0.6.1');
    await expect(again.call('hello', hello)).rejects.toMatchObject({ remoteCode: 'rate-limited', message: 'rate limit: at most 1 runs per minute per peer' });
    const other = await connect('127.0.6.2');
    await expect(other.call('hello', hello).catch((e: { remoteCode?: string }) => e.remoteCode)).resolves.not.toBe('rate-limited');
  });


  it('runs and reverse frames are limited per peer and per window, peers independently', () => {
    const b = new PeerBudget({ runsPerMinute: 2, framesPer10s: 100 });
    expect([b.takeRun('a', 0), b.takeRun('a', 1), b.takeRun('a', 2), b.takeRun('b', 3)]).toEqual([true, true, false, true]);
    expect(b.takeRun('a', 60_001)).toBe(true);
    expect([b.takeFrames('a', 60, 0), b.takeFrames('a', 60, 1), b.takeFrames('b', 100, 2), b.takeFrames('a', 60, 10_001)]).toEqual([true, false, true, true]);
  });
});
