// The control channel between two real endpoints: RPC, errors, once mode,
// rate limits, wrong secret, and how a full listener makes room: agents keep
// a control session per peer between rounds, so it ends the session quiet
// for longest to admit a newcomer (limits.yieldQuietSessionMs), but never
// one in the middle of a call, and never one that spoke recently.
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, ControlError, RemoteCallError } from '../../src/pair/control/index.js';
import { methods, OTHER_SECRET, SECRET, startServer, type Fixture } from './control-fixture.js';

let fixture: Fixture | undefined;
const clients: ControlClient<typeof methods>[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fixture?.server.close();
  fixture = undefined;
});

async function connect(port: number, secret = SECRET, localAddress?: string): Promise<ControlClient<typeof methods>> {
  const client = await ControlClient.connect({ host: '127.0.0.1', port, secret, methods, timeoutMs: 1500, localAddress });
  clients.push(client);
  return client;
}

const connectFrom = (localAddress: string) => connect(fixture!.port, SECRET, localAddress);

describe('control channel RPC', () => {
  it('authenticates and serves typed calls, reporting the peer address to handlers', async () => {
    fixture = await startServer();
    const client = await connect(fixture.port);
    const result = await client.call('probe', { port: 8472 });
    expect(result).toEqual({ sentTo: '127.0.0.1', port: 8472 });
    expect(await client.call('probe', { port: 8475, note: 'second' })).toEqual({ sentTo: '127.0.0.1', port: 8475 });
    expect(fixture.effects).toEqual([
      { method: 'probe', peer: '127.0.0.1' },
      { method: 'probe', peer: '127.0.0.1' },
    ]);
    expect(fixture.sessions).toHaveLength(1);
    expect(fixture.sessions[0]?.peerAddress).toBe('127.0.0.1');
    const end = fixture.nextEnd();
    client.close();
    // A client that closes between messages ends the session cleanly, and handlers see it.
    expect((await end).error).toBeUndefined();
    expect(fixture.sessions[0]?.signal.aborted).toBe(true);
  });

  it('runs concurrent calls and matches answers by id', async () => {
    fixture = await startServer();
    const client = await connect(fixture.port);
    const slow = client.call('slow', { ms: 150 });
    const fast = client.call('probe', { port: 1 });
    expect(await fast).toEqual({ sentTo: '127.0.0.1', port: 1 });
    expect(await slow).toEqual({});
  });

  it('returns handler errors as one-line errors with the handler message, session intact', async () => {
    fixture = await startServer();
    const client = await connect(fixture.port);
    const err = await client.call('fail', { message: 'no interface eth9\n    at secretStack (x.js:1)' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCallError);
    expect((err as RemoteCallError).message).toBe('no interface eth9');
    expect((err as RemoteCallError).remoteCode).toBe('handler-error');
    expect(await client.call('probe', { port: 2 })).toEqual({ sentTo: '127.0.0.1', port: 2 });
  });

  it('refuses bad params locally before sending anything', async () => {
    fixture = await startServer();
    const client = await connect(fixture.port);
    // @ts-expect-error: wrong type on purpose
    await expect(client.call('probe', { port: 'x' })).rejects.toThrow('bad params for probe: params.port: expected integer, got string');
    expect(fixture.effects).toEqual([]);
  });

  it('wrong secret: both sides say so, no handler runs', async () => {
    fixture = await startServer();
    const end = fixture.nextEnd();
    const err = await connect(fixture.port, OTHER_SECRET).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).code).toBe('auth');
    expect((err as Error).message).toMatch(/^peer failed authentication: different secret\? \(the TLS handshake with/);
    const serverSide = await end;
    expect(serverSide.session).toBeUndefined();
    expect(serverSide.error?.code).toBe('auth');
    expect(serverSide.error?.message).toMatch(/^peer failed authentication: different secret\?/);
    expect(fixture.effects).toEqual([]);
    expect(fixture.sessions).toEqual([]);
  });

  it('keeps serving after a failed session', async () => {
    fixture = await startServer();
    await connect(fixture.port, OTHER_SECRET).catch(() => undefined);
    const client = await connect(fixture.port);
    expect(await client.call('probe', { port: 3 })).toEqual({ sentTo: '127.0.0.1', port: 3 });
  });

  it('once mode: a failed handshake does not count; the first session ends the server', async () => {
    fixture = await startServer({ once: true });
    await connect(fixture.port, OTHER_SECRET).catch(() => undefined);
    const client = await connect(fixture.port);
    await client.call('probe', { port: 4 });
    client.close();
    await fixture.server.done;
    await expect(connect(fixture.port)).rejects.toThrow(/could not connect to the control port .*ECONNREFUSED/);
  });

  it('rate limit: calls beyond N per second get an error, not a queue', async () => {
    fixture = await startServer({ limits: { maxCallsPerSecond: 3 } });
    const client = await connect(fixture.port);
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((port) => client.call('probe', { port })));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const limited = outcomes.filter((o) => o.status === 'rejected');
    expect(ok).toHaveLength(3);
    expect(limited).toHaveLength(2);
    for (const o of limited) {
      const reason = (o as PromiseRejectedResult).reason as RemoteCallError;
      expect(reason.remoteCode).toBe('rate-limited');
      expect(reason.message).toBe('rate limit: at most 3 calls per second');
    }
    expect(fixture.effects).toHaveLength(3);
  });

  it('a second authenticated peer is told the listener is busy', async () => {
    fixture = await startServer();
    const first = await connect(fixture.port);
    await expect(connect(fixture.port, SECRET, '127.0.0.2')).rejects.toThrow('peer is busy: the listener serves as many pairing sessions as it may');
    expect(await first.call('probe', { port: 5 })).toEqual({ sentTo: '127.0.0.1', port: 5 });
  });

  it('many peers: concurrent sessions up to maxSessions, at most one per peer address', async () => {
    fixture = await startServer({ limits: { maxSessions: 3 } });
    const a = await connect(fixture.port, SECRET, '127.0.0.2');
    const b = await connect(fixture.port, SECRET, '127.0.0.3');
    // The same peer again replaces its old session (a restarted peer must not wait for it to time out).
    const a2 = await connect(fixture.port, SECRET, '127.0.0.2');
    expect((await a.closed)?.message).toBe('peer ended the session: superseded by a new session from the same peer');
    const c = await connect(fixture.port, SECRET, '127.0.0.4');
    await expect(connect(fixture.port, SECRET, '127.0.0.5')).rejects.toThrow(/^peer is busy/);
    expect(await Promise.all([a2, b, c].map((x, i) => x.call('probe', { port: 10 + i })))).toEqual([
      { sentTo: '127.0.0.2', port: 10 },
      { sentTo: '127.0.0.3', port: 11 },
      { sentTo: '127.0.0.4', port: 12 },
    ]);
  });

  it('a call timeout rejects that call only; the late answer is dropped', async () => {
    fixture = await startServer();
    const client = await connect(fixture.port);
    await expect(client.call('slow', { ms: 300 }, { timeoutMs: 50 })).rejects.toThrow('call slow timed out after 50 ms (the peer did not answer)');
    await new Promise((r) => setTimeout(r, 350));
    expect(await client.call('probe', { port: 6 })).toEqual({ sentTo: '127.0.0.1', port: 6 });
  });

  it('a refused connection is a clear error', async () => {
    fixture = await startServer();
    const port = fixture.port;
    await fixture.server.close();
    fixture = undefined;
    await expect(connect(port)).rejects.toThrow(/^could not connect to the control port 127\.0\.0\.1:\d+: ECONNREFUSED: is `vxprobe listen` running there\?$/);
  });

  it('the server ends sessions of idle peers and pending calls fail with the reason', async () => {
    fixture = await startServer({ limits: { idleTimeoutMs: 200 } });
    const client = await connect(fixture.port);
    const ended = await client.closed;
    expect(ended?.message).toBe('peer ended the session: peer idle for 200 ms; session ended');
    await expect(client.call('probe', { port: 7 })).rejects.toThrow('peer ended the session');
  });

  it('a long handler does not count as idleness', async () => {
    fixture = await startServer({ limits: { idleTimeoutMs: 100 } });
    const client = await connect(fixture.port);
    expect(await client.call('slow', { ms: 400 })).toEqual({});
  });

  it('concurrent calls beyond the limit get a busy error', async () => {
    fixture = await startServer({ limits: { maxConcurrentCalls: 1 } });
    const client = await connect(fixture.port);
    const first = client.call('slow', { ms: 100 });
    await expect(client.call('slow', { ms: 0 })).rejects.toThrow(new RemoteCallError('busy', 'busy: at most 1 calls at once'));
    expect(await first).toEqual({});
    expect(fixture.effects).toHaveLength(1);
  });

  it('a result too large for a line is an error to the caller, not a broken session', async () => {
    fixture = await startServer({ limits: { maxLineBytes: 4096 } });
    const client = await ControlClient.connect({ host: '127.0.0.1', port: fixture.port, secret: SECRET, methods, limits: { maxLineBytes: 4096 } });
    clients.push(client);
    const err = (await client.call('big', { bytes: 5000 }).catch((e: unknown) => e)) as RemoteCallError;
    expect(err.remoteCode).toBe('internal');
    expect(err.message).toMatch(/^listener produced a bad result for big: message of \d+ bytes exceeds the 4096-byte line limit$/);
    expect(await client.call('big', { bytes: 10 })).toEqual({ data: 'b'.repeat(10) });
  });

  it('large results within the limit pass (host facts are a few hundred KiB)', async () => {
    fixture = await startServer();
    const client = await connect(fixture.port);
    const { data } = await client.call('big', { bytes: 200_000 });
    expect(data.length).toBe(200_000);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a full listener and quiet sessions', () => {
  it('ends the quietest session for a newcomer once it was quiet long enough', async () => {
    fixture = await startServer({ limits: { maxSessions: 2, yieldQuietSessionMs: 300, idleTimeoutMs: 10_000 } });
    const older = await connectFrom('127.0.0.2');
    await older.call('probe', { port: 1 });
    const newer = await connectFrom('127.0.0.3');
    await newer.call('probe', { port: 2 });
    // Both spoke just now: nobody yields.
    await expect(connectFrom('127.0.0.4')).rejects.toThrow(/^peer is busy/);
    await sleep(200);
    await newer.call('probe', { port: 3 });
    await sleep(200);
    // `older` was quiet for 400 ms, `newer` for 200: only `older` may yield.
    const third = await connectFrom('127.0.0.4');
    expect((await older.closed)?.message).toBe('peer ended the session: ended an idle session to make room for another peer');
    expect(newer.isOpen).toBe(true);
    expect(await third.call('probe', { port: 4 })).toEqual({ sentTo: '127.0.0.4', port: 4 });
  });

  it('never ends a session whose call is still running, however quiet', async () => {
    fixture = await startServer({ limits: { maxSessions: 1, yieldQuietSessionMs: 100, idleTimeoutMs: 10_000 } });
    const busy = await connectFrom('127.0.0.2');
    const slow = busy.call('slow', { ms: 600 });
    await sleep(300);
    await expect(connectFrom('127.0.0.3')).rejects.toThrow(/^peer is busy/);
    await expect(slow).resolves.toEqual({});
    expect(busy.isOpen).toBe(true);
  });

  it('0 turns yielding off', async () => {
    fixture = await startServer({ limits: { maxSessions: 1, yieldQuietSessionMs: 0, idleTimeoutMs: 10_000 } });
    const kept = await connectFrom('127.0.0.2');
    await sleep(150);
    await expect(connectFrom('127.0.0.3')).rejects.toThrow(/^peer is busy/);
    expect(kept.isOpen).toBe(true);
  });
});
