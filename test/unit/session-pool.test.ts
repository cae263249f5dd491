// The agent's kept control sessions (src/pair/session-pool.ts) over a real
// control server on loopback: a kept session is handed out once, a session
// the listener ended is never handed out, and closing the pool ends them all.
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/pair/control/index.js';
import type { PairMethods } from '../../src/pair/messages.js';
import { SessionPool, firstCall } from '../../src/pair/session-pool.js';
import { methods, SECRET, startServer, type Fixture } from './control-fixture.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.server.close();
  fixture = undefined;
});

// The pool holds pairing clients; these speak the fixture's methods, which is all the pool never looks at.
const asPairClient = (c: ControlClient<typeof methods>) => c as unknown as ControlClient<PairMethods>;
const connect = (localAddress: string) =>
  ControlClient.connect({ host: '127.0.0.1', port: fixture!.port, secret: SECRET, methods, timeoutMs: 1500, localAddress });

describe('SessionPool', () => {
  it('hands a kept session out once, per key', async () => {
    fixture = await startServer({ limits: { maxSessions: 4, idleTimeoutMs: 10_000 } });
    const pool = new SessionPool();
    const a = await connect('127.0.0.2');
    pool.keep('a', asPairClient(a));
    expect(pool.take('b')).toBeNull();
    expect(pool.take('a')).toBe(a);
    expect(pool.take('a')).toBeNull();
    pool.keep('a', asPairClient(a));
    expect(await a.call('probe', { port: 1 })).toEqual({ sentTo: '127.0.0.2', port: 1 });
    pool.close();
    expect(await a.closed).toBeUndefined();
    expect(a.isOpen).toBe(false);
  });

  it('drops a session the listener ended, and closes what is kept after the pool closed', async () => {
    fixture = await startServer({ limits: { maxSessions: 4, idleTimeoutMs: 200 } });
    const pool = new SessionPool();
    const a = await connect('127.0.0.2');
    pool.keep('a', asPairClient(a));
    expect((await a.closed)?.message).toMatch(/idle for 200 ms/);
    expect(pool.size).toBe(0);
    expect(pool.take('a')).toBeNull();
    pool.close();
    const b = await connect('127.0.0.3');
    pool.keep('b', asPairClient(b));
    expect(b.isOpen).toBe(false);
    expect(pool.size).toBe(0);
  });

  it('a second session kept under the same key replaces (and closes) the first', async () => {
    fixture = await startServer({ limits: { maxSessions: 4, idleTimeoutMs: 10_000 } });
    const pool = new SessionPool();
    const first = await connect('127.0.0.2');
    const second = await connect('127.0.0.3');
    pool.keep('k', asPairClient(first));
    pool.keep('k', asPairClient(second));
    expect(first.isOpen).toBe(false);
    expect(pool.take('k')).toBe(second);
    second.close();
    pool.close();
  });
});

describe('firstCall', () => {
  it('a kept session that ended: once more on a fresh connection', async () => {
    fixture = await startServer({ limits: { maxSessions: 4, idleTimeoutMs: 10_000 } });
    const kept = await connect('127.0.0.2');
    // Ended before the call, as when the listener's end had not reached us yet.
    kept.close();
    let reconnects = 0;
    const { client, result } = await firstCall(kept, true, (c) => c.call('probe', { port: 7 }), () => {
      reconnects++;
      return connect('127.0.0.2');
    });
    expect(reconnects).toBe(1);
    expect(client).not.toBe(kept);
    expect(result).toEqual({ sentTo: '127.0.0.2', port: 7 });
    client.close();
  });

  it('an answer from the listener is final, and so is any failure on a fresh session', async () => {
    fixture = await startServer({ limits: { maxSessions: 4, idleTimeoutMs: 10_000 } });
    const kept = await connect('127.0.0.2');
    let reconnects = 0;
    const reconnect = () => {
      reconnects++;
      return connect('127.0.0.3');
    };
    await expect(firstCall(kept, true, (c) => c.call('fail', { message: 'no run for you' }), reconnect)).rejects.toThrow('no run for you');
    expect(kept.isOpen).toBe(true);
    const fresh = await connect('127.0.0.4');
    fresh.close();
    await expect(firstCall(fresh, false, (c) => c.call('probe', { port: 1 }), reconnect)).rejects.toThrow(/closed/);
    expect(reconnects).toBe(0);
    // The retry's own failure closes the connection it made.
    kept.close();
    let made: ControlClient<typeof methods> | undefined;
    await expect(firstCall(kept, true, (c) => c.call('fail', { message: 'still no' }), async () => (made = await connect('127.0.0.5')))).rejects.toThrow('still no');
    expect(made?.isOpen).toBe(false);
  });
});

