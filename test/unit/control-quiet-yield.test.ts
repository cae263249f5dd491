// Kept sessions yield (limits.yieldQuietSessionMs): agents keep a control
// session per peer between rounds, so a full listener ends the session quiet
// for longest to admit a newcomer, but never one in the middle of a call, and
// never one that spoke recently.
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/pair/control/index.js';
import { methods, SECRET, startServer, type Fixture } from './control-fixture.js';

let fixture: Fixture | undefined;
const clients: ControlClient<typeof methods>[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fixture?.server.close();
  fixture = undefined;
});

async function connect(localAddress: string): Promise<ControlClient<typeof methods>> {
  const client = await ControlClient.connect({ host: '127.0.0.1', port: fixture!.port, secret: SECRET, methods, timeoutMs: 1500, localAddress });
  clients.push(client);
  return client;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a full listener and quiet sessions', () => {
  it('ends the quietest session for a newcomer once it was quiet long enough', async () => {
    fixture = await startServer({ limits: { maxSessions: 2, yieldQuietSessionMs: 300, idleTimeoutMs: 10_000 } });
    const older = await connect('127.0.0.2');
    await older.call('probe', { port: 1 });
    const newer = await connect('127.0.0.3');
    await newer.call('probe', { port: 2 });
    // Both spoke just now: nobody yields.
    await expect(connect('127.0.0.4')).rejects.toThrow(/^peer is busy/);
    await sleep(200);
    await newer.call('probe', { port: 3 });
    await sleep(200);
    // `older` was quiet for 400 ms, `newer` for 200: only `older` may yield.
    const third = await connect('127.0.0.4');
    expect((await older.closed)?.message).toBe('peer ended the session: ended an idle session to make room for another peer');
    expect(newer.isOpen).toBe(true);
    expect(await third.call('probe', { port: 4 })).toEqual({ sentTo: '127.0.0.4', port: 4 });
  });

  it('never ends a session whose call is still running, however quiet', async () => {
    fixture = await startServer({ limits: { maxSessions: 1, yieldQuietSessionMs: 100, idleTimeoutMs: 10_000 } });
    const busy = await connect('127.0.0.2');
    const slow = busy.call('slow', { ms: 600 });
    await sleep(300);
    await expect(connect('127.0.0.3')).rejects.toThrow(/^peer is busy/);
    await expect(slow).resolves.toEqual({});
    expect(busy.isOpen).toBe(true);
  });

  it('0 turns yielding off', async () => {
    fixture = await startServer({ limits: { maxSessions: 1, yieldQuietSessionMs: 0, idleTimeoutMs: 10_000 } });
    const kept = await connect('127.0.0.2');
    await sleep(150);
    await expect(connect('127.0.0.3')).rejects.toThrow(/^peer is busy/);
    expect(kept.isOpen).toBe(true);
  });
});
