// A hostile or broken listener against ControlClient: the client must end
// with a clear error and never hang.
import type { Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, ControlError } from '../../src/pair/control/index.js';
import { methods, OTHER_SECRET, SECRET } from './control-fixture.js';
import { rawServer, type LinePeer } from './control-raw-peer.js';

let server: Server | undefined;
let finishHostile: () => void = () => undefined;
const hostileDone = new Promise<void>((resolve) => {
  finishHostile = resolve;
});
const peers: LinePeer[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function hostile(behave: (peer: LinePeer) => Promise<void> | void, tlsSecret: Buffer | null = SECRET): Promise<number> {
  const started = await rawServer((peer) => {
    peers.push(peer);
    void Promise.resolve(behave(peer)).catch(() => undefined);
  }, tlsSecret);
  server = started.server;
  return started.port;
}

function connect(port: number, timeoutMs = 300): Promise<ControlClient<typeof methods>> {
  return ControlClient.connect({ host: '127.0.0.1', port, secret: SECRET, methods, timeoutMs, callTimeoutMs: 300 });
}

async function session(port: number): Promise<{ client: ControlClient<typeof methods>; peer: LinePeer }> {
  const client = await connect(port);
  const peer = peers[peers.length - 1] as LinePeer;
  return { client, peer };
}

describe('control channel abuse (client side)', () => {
  it('a listener that says nothing: handshake timeout', async () => {
    const port = await hostile(() => undefined);
    await expect(connect(port, 200)).rejects.toThrow(new ControlError('timeout', 'peer stalled during handshake after 200 ms'));
  });

  it('a listener with another secret: the client reports it and only says reject', async () => {
    let after: unknown[] = [];
    const seen = new Promise<void>((resolve) => {
      void hostileDone.then(resolve);
    });
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(OTHER_SECRET);
      await peer.closedPromise;
      after = peer.lines.map((l) => JSON.parse(l) as unknown);
      finishHostile();
    });
    const err = (await connect(port).catch((e: unknown) => e)) as ControlError;
    expect(err.code).toBe('auth');
    expect(err.message).toMatch(/^peer failed authentication: different secret\? \(the peer's proof did not match/);
    await seen;
    expect(after).toEqual([{ type: 'reject', code: 'auth', reason: 'authentication failed' }]);
  });

  it('a listener holding another secret: the TLS handshake fails as an auth error', async () => {
    const port = await hostile(() => undefined, OTHER_SECRET);
    const err = (await connect(port).catch((e: unknown) => e)) as ControlError;
    expect(err.code).toBe('auth');
    expect(err.message).toMatch(/^peer failed authentication: different secret\? \(the TLS handshake with 127\.0\.0\.1:\d+ failed/);
  });

  it('something that is not vxprobe (an HTTP server)', async () => {
    const port = await hostile((peer) => peer.sendRaw('HTTP/1.1 400 Bad Request\r\n\r\n'), null);
    const err = (await connect(port).catch((e: unknown) => e)) as ControlError;
    expect(err.code).toBe('protocol');
    expect(err.message).toMatch(/^peer 127\.0\.0\.1:\d+ is not a vxprobe control endpoint of this version \(TLS handshake failed: ERR_SSL_/);
  });

  it('an inner handshake with garbage after TLS', async () => {
    const port = await hostile((peer) => peer.sendRaw('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await expect(connect(port)).rejects.toThrow('peer is not a vxprobe control endpoint: it sent "HTTP/1.1 400 Bad Request\\x0d"');
  });

  it('a listener that closes during the handshake', async () => {
    const port = await hostile((peer) => void peer.socket.end());
    await expect(connect(port)).rejects.toThrow(/^peer closed the connection during the handshake$/);
  });

  it('a result that does not match the method schema ends the session', async () => {
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(SECRET);
      await peer.readLine();
      peer.send('result', { id: 1, result: { sentTo: '10.0.0.1', port: 1, extra: 'x' } });
    });
    const { client } = await session(port);
    await expect(client.call('probe', { port: 1 })).rejects.toThrow('peer sent a bad result for probe: result.extra: unknown field');
    expect((await client.closed)?.code).toBe('protocol');
  });

  it('an answer to a call never made ends the session', async () => {
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(SECRET);
      peer.send('result', { id: 99, result: {} });
    });
    const { client } = await session(port);
    expect((await client.closed)?.message).toBe('peer answered call id 99, which was never made or already answered');
  });

  it('a tampered answer ends the session and fails the pending call', async () => {
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(SECRET);
      await peer.readLine();
      peer.sendRaw(peer.seal('result', { id: 1, result: { sentTo: '127.0.0.1', port: 1 } }).replace('"port":1', '"port":2'));
    });
    const { client } = await session(port);
    await expect(client.call('probe', { port: 1 })).rejects.toThrow('peer message seq 1 failed its MAC check (tampered or forged)');
  });

  it('a server that never answers a call: the call times out', async () => {
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(SECRET);
    });
    const { client } = await session(port);
    await expect(client.call('probe', { port: 1 })).rejects.toThrow('call probe timed out after 300 ms (the peer did not answer)');
    client.close();
  });

  it('a server that sends a call to the client ends the session', async () => {
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(SECRET);
      peer.send('call', { id: 1, method: 'probe', params: { port: 1 } });
    });
    const { client } = await session(port);
    expect((await client.closed)?.message).toBe('peer sent unknown message type "call"');
  });

  it('a remote error message with terminal escapes and newlines is shown escaped', async () => {
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(SECRET);
      await peer.readLine();
      peer.send('error', { id: 1, error: { code: 'handler-error', message: 'bad\x1b[2J\nvxprobe: all ok' } });
    });
    const { client } = await session(port);
    await expect(client.call('probe', { port: 1 })).rejects.toThrow(/^bad\\x1b\[2J\\x0avxprobe: all ok$/);
    client.close();
  });

  it('an abort from the peer ends the session with its reason, escaped', async () => {
    const port = await hostile(async (peer) => {
      await peer.serverHandshake(SECRET);
      peer.send('abort', { reason: 'going away\r' });
    });
    const { client } = await session(port);
    expect((await client.closed)?.message).toBe('peer ended the session: going away\\x0d');
  });
});
