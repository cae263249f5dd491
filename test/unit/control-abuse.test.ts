// Hostile peers against the control server, spoken by hand (control-raw-peer.ts).
// Each case must end the session with a clear one-line error, never call a
// handler (no probe sent), and leave the server able to serve the next peer.
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, PROTOCOL_VERSION } from '../../src/pair/control/index.js';
import { LinePeer } from './control-raw-peer.js';
import { methods, OTHER_SECRET, SECRET, startServer, type Fixture } from './control-fixture.js';

let fixture: Fixture | undefined;
const peers: LinePeer[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await fixture?.server.close();
  fixture = undefined;
});

async function peer(): Promise<LinePeer> {
  if (!fixture) throw new Error('no server');
  const p = await LinePeer.connect(fixture.port, SECRET);
  peers.push(p);
  return p;
}

async function authenticated(): Promise<LinePeer> {
  const p = await peer();
  const welcome = await p.clientHandshake(SECRET);
  expect(welcome?.type).toBe('welcome');
  return p;
}

/** The server's end report, the abort it sent (if any), and proof that the socket closed. */
async function serverEnds(p: LinePeer): Promise<{ error: string | undefined; abort: string | undefined }> {
  if (!fixture) throw new Error('no server');
  const port = p.socket.localPort;
  let end = fixture.ends.find((e) => e.peerPort === port);
  while (!end) {
    const next = await fixture.nextEnd();
    if (next.peerPort === port) end = next;
  }
  let abort: string | undefined;
  for (;;) {
    const line = await p.readLine();
    if (line === undefined) break;
    const parsed = JSON.parse(line) as { msg?: unknown };
    const msg = (parsed.msg ?? parsed) as { type: string; body?: { reason?: string }; reason?: string };
    if (msg.type === 'abort') abort = msg.body?.reason;
    if (msg.type === 'reject') abort = msg.reason;
  }
  await p.closedPromise;
  return { error: end?.error?.message, abort };
}

/** The server still serves a real client after the abuse, and no handler ran during it. */
async function stillServes(): Promise<void> {
  if (!fixture) throw new Error('no server');
  expect(fixture.effects).toEqual([]);
  const client = await ControlClient.connect({ host: '127.0.0.1', port: fixture.port, secret: SECRET, methods, timeoutMs: 1500 });
  try {
    expect(await client.call('probe', { port: 8472 })).toEqual({ sentTo: '127.0.0.1', port: 8472 });
  } finally {
    client.close();
  }
}

describe('control channel abuse (server side)', () => {
  it('wrong secret: the TLS handshake fails, handler never called', async () => {
    fixture = await startServer();
    const err = (await LinePeer.connect(fixture.port, OTHER_SECRET).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toMatch(/^ERR_SSL_/);
    const end = fixture.ends[0] ?? (await fixture.nextEnd());
    expect(end.session).toBeUndefined();
    expect(end.error?.code).toBe('auth');
    expect(end.error?.message).toMatch(/^peer failed authentication: different secret\? \(TLS handshake failed: ERR_SSL_/);
    await stillServes();
  });

  it('right TLS key, wrong inner proof: rejected with reason (the inner handshake still checks)', async () => {
    fixture = await startServer();
    const p = await peer();
    const answer = await p.clientHandshake(OTHER_SECRET);
    expect(answer).toEqual({ type: 'reject', code: 'auth', reason: 'authentication failed' });
    const { error } = await serverEnds(p);
    expect(error).toBe('peer failed authentication: different secret? (VXPROBE_SECRET or --secret-file must be the same on both nodes)');
    await stillServes();
  });

  it('plain TCP (no TLS) gets nothing readable and is dropped', async () => {
    fixture = await startServer();
    const p = await LinePeer.connect(fixture.port, null);
    peers.push(p);
    p.sendJson({ type: 'hello', v: PROTOCOL_VERSION, nonce: 'ab'.repeat(32) });
    await p.closedPromise;
    expect(p.lines.filter((l) => l.includes('challenge'))).toEqual([]);
    await stillServes();
  });

  it('the server never answers hello with a MAC (nothing to guess offline from)', async () => {
    fixture = await startServer();
    const p = await peer();
    p.sendJson({ type: 'hello', v: PROTOCOL_VERSION, nonce: 'ab'.repeat(32) });
    const challenge = await p.readJson();
    expect(Object.keys(challenge ?? {}).sort()).toEqual(['nonce', 'type', 'v']);
  });

  it('a reflected server proof is not accepted as the client proof', async () => {
    fixture = await startServer();
    const p = await peer();
    const { proofFor } = await import('./control-raw-peer.js');
    const nc = Buffer.alloc(32, 7);
    p.sendJson({ type: 'hello', v: PROTOCOL_VERSION, nonce: nc.toString('hex') });
    const challenge = await p.readJson();
    const ns = Buffer.from(String(challenge?.nonce), 'hex');
    // Even knowing a valid *server* proof for these nonces would not help.
    p.sendJson({ type: 'proof', mac: proofFor(SECRET, 'server', nc, ns) });
    expect(await p.readJson()).toMatchObject({ type: 'reject', code: 'auth' });
    await stillServes();
  });

  it('replayed message: a captured valid line sent again ends the session', async () => {
    fixture = await startServer();
    const p = await authenticated();
    // A call to an unknown-to-the-schema but harmless shape would abort; use a valid
    // call line, capture it, and replay it only after checking what it did once.
    const line = p.seal('call', { id: 1, method: 'probe', params: { port: 8472 } });
    p.sendRaw(line);
    p.sendSeq = 1;
    const answer = await p.readMessage();
    expect(answer).toMatchObject({ seq: 1, type: 'result', body: { id: 1, result: { port: 8472 } } });
    expect(fixture.effects).toHaveLength(1);
    p.sendRaw(line);
    const { error, abort } = await serverEnds(p);
    expect(error).toBe('peer replayed message seq 1 (expected seq 2)');
    expect(abort).toBe(error);
    expect(fixture.effects).toHaveLength(1);
  });

  it('a line replayed from another session fails the MAC (fresh session key)', async () => {
    fixture = await startServer();
    const first = await authenticated();
    const line = first.seal('call', { id: 1, method: 'fail', params: { message: 'x' } });
    first.close();
    await fixture.nextEnd();
    const second = await authenticated();
    second.sendRaw(line);
    const { error } = await serverEnds(second);
    expect(error).toBe('peer message seq 1 failed its MAC check (tampered or forged)');
    await stillServes();
  });

  it('reordered seq ends the session', async () => {
    fixture = await startServer();
    const p = await authenticated();
    p.sendRaw(p.seal('call', { id: 2, method: 'probe', params: { port: 1 } }, 2));
    const { error } = await serverEnds(p);
    expect(error).toBe('peer sent message seq 2 out of order (expected seq 1)');
    await stillServes();
  });

  it('tampered body ends the session', async () => {
    fixture = await startServer();
    const p = await authenticated();
    const line = p.seal('call', { id: 1, method: 'probe', params: { port: 8472 } });
    p.sendRaw(line.replace('8472', '8473'));
    const { error, abort } = await serverEnds(p);
    expect(error).toBe('peer message seq 1 failed its MAC check (tampered or forged)');
    expect(abort).toBe(error);
    await stillServes();
  });

  it('a message MAC from the other direction is refused (no reflection)', async () => {
    fixture = await startServer();
    const p = await authenticated();
    p.sendRaw(p.sealText(JSON.stringify({ seq: 1, type: 'call', body: { id: 1, method: 'probe', params: { port: 1 } } }), 's2c'));
    expect((await serverEnds(p)).error).toBe('peer message seq 1 failed its MAC check (tampered or forged)');
    await stillServes();
  });

  it('oversized line ends the session without buffering it', async () => {
    fixture = await startServer({ limits: { maxLineBytes: 4096 } });
    const p = await authenticated();
    p.sendRaw('x'.repeat(64 * 1024));
    const { error } = await serverEnds(p);
    expect(error).toBe('peer sent a line longer than 4096 bytes');
    await stillServes();
  });

  it('oversized handshake line: 1 KiB before authentication', async () => {
    fixture = await startServer();
    const p = await peer();
    p.sendRaw(`{"type":"hello","pad":"${'a'.repeat(2000)}"}\n`);
    expect((await serverEnds(p)).error).toBe('peer sent a line longer than 1024 bytes');
    await stillServes();
  });

  it.each([
    ['non-JSON', 'GET / HTTP/1.1\r\n', /^peer is not a vxprobe control endpoint: it sent "GET \/ HTTP\/1.1\\x0d"$/],
    ['a JSON array', '[1,2,3]\n', /^peer is not a vxprobe control endpoint: it sent "\[1,2,3\]"$/],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a]), /^peer sent bytes that are not UTF-8 text: "\\xff\\xfe\\x00\\x01"$/],
    ['an empty line', '\n', /^peer sent an empty line$/],
  ])('garbage in the handshake (%s) ends the connection', async (_name, data, expected) => {
    fixture = await startServer();
    const p = await peer();
    p.sendRaw(data);
    expect((await serverEnds(p)).error).toMatch(expected);
    await stillServes();
  });

  it.each([
    ['non-JSON', 'hello there\n', /^peer sent a line that is not JSON: "hello there"$/],
    ['a JSON array', '[]\n', /^peer sent JSON that is not an object: "\[\]"$/],
    ['binary', Buffer.from([0xc3, 0x28, 0x0a]), /^peer sent bytes that are not UTF-8 text: "\\xc3\("$/],
    ['an unsealed message', '{"seq":1,"type":"call","body":{}}\n', /^peer sent a line that is not a sealed message: /],
    ['a sealed line cut short', `{"mac":"${'0'.repeat(64)}","msg":}\n`, /^peer sent a malformed sealed line: /],
    // Never parsed: the MAC is checked over the bytes first.
    ['a deeply nested body with a made-up MAC', `{"mac":"${'0'.repeat(64)}","msg":{"seq":1,"type":"call","body":${'['.repeat(10000)}${']'.repeat(10000)}}}\n`, /^peer message seq 1 failed its MAC check \(tampered or forged\)$/],
  ])('garbage in the session (%s) ends the session', async (_name, data, expected) => {
    fixture = await startServer();
    const p = await authenticated();
    p.sendRaw(data);
    expect((await serverEnds(p)).error).toMatch(expected);
    await stillServes();
  });

  it.each([
    ['unknown type', 'shell', { cmd: 'rm' }, 'peer sent unknown message type "shell"'],
    ['a server-only type', 'result', { id: 1, result: {} }, 'peer sent unknown message type "result"'],
    ['unknown method', 'call', { id: 1, method: 'sendBytes', params: {} }, 'peer called unknown method "sendBytes"'],
    ['an extra body field', 'call', { id: 1, method: 'probe', params: { port: 1 }, extra: 1 }, 'peer sent a bad call message: body.extra: unknown field'],
    ['an extra params field', 'call', { id: 1, method: 'probe', params: { port: 1, dst: '8.8.8.8' } }, 'peer sent bad params for probe: params.dst: unknown field'],
    ['a missing field', 'call', { id: 1, method: 'probe' }, 'peer sent a bad call message: body.params: missing field'],
    ['a missing params field', 'call', { id: 1, method: 'probe', params: {} }, 'peer sent bad params for probe: params.port: missing field'],
    ['a wrong type', 'call', { id: '1', method: 'probe', params: { port: 1 } }, 'peer sent a bad call message: body.id: expected integer, got string'],
    ['an out-of-range value', 'call', { id: 1, method: 'probe', params: { port: 70000 } }, 'peer sent bad params for probe: params.port: integer outside 1..65535'],
    ['an oversized string', 'call', { id: 1, method: 'probe', params: { port: 1, note: 'n'.repeat(21) } }, 'peer sent bad params for probe: params.note: string longer than 20 characters'],
    ['an oversized method name', 'call', { id: 1, method: 'm'.repeat(65), params: {} }, 'peer sent a bad call message: body.method: string longer than 64 characters'],
  ])('authenticated but malformed: %s', async (_name, type, body, expected) => {
    fixture = await startServer();
    const p = await authenticated();
    p.send(type, body);
    const { error, abort } = await serverEnds(p);
    expect(error).toBe(expected);
    expect(abort).toBe(expected);
    await stillServes();
  });

  it('an extra envelope field ends the session', async () => {
    fixture = await startServer();
    const p = await authenticated();
    p.sendRaw(p.sealText(JSON.stringify({ seq: 1, type: 'call', body: { id: 1, method: 'probe', params: { port: 1 } }, admin: true })));
    expect((await serverEnds(p)).error).toBe('peer sent a bad envelope message: admin: unknown field');
    await stillServes();
  });

  it('a peer that connects and says nothing is cut off after the handshake timeout', async () => {
    fixture = await startServer({ limits: { handshakeTimeoutMs: 200 } });
    const p = await peer();
    expect((await serverEnds(p)).error).toBe('peer stalled during handshake after 200 ms');
    await stillServes();
  });

  it('a peer that stops after hello is cut off after the handshake timeout', async () => {
    fixture = await startServer({ limits: { handshakeTimeoutMs: 200 } });
    const p = await peer();
    p.sendJson({ type: 'hello', v: PROTOCOL_VERSION, nonce: 'cd'.repeat(32) });
    expect((await serverEnds(p)).error).toBe('peer stalled during handshake after 200 ms');
    await stillServes();
  });

  it('a peer that stops mid-line in the session is cut off', async () => {
    fixture = await startServer({ limits: { idleTimeoutMs: 200 } });
    const p = await authenticated();
    p.sendRaw(p.seal('call', { id: 1, method: 'probe', params: { port: 1 } }).slice(0, 30));
    const { error, abort } = await serverEnds(p);
    expect(error).toBe('peer stalled in the middle of a message for 200 ms');
    expect(abort).toBe(error);
    await stillServes();
  });

  it('a wrong protocol version is rejected with a hint', async () => {
    fixture = await startServer();
    const p = await peer();
    const other = PROTOCOL_VERSION + 1;
    p.sendJson({ type: 'hello', v: other, nonce: 'ef'.repeat(32) });
    expect(await p.readJson()).toEqual({ type: 'reject', code: 'version', reason: `this listener speaks control protocol v${PROTOCOL_VERSION}` });
    expect((await serverEnds(p)).error).toBe(`peer speaks control protocol v${other}, we speak v${PROTOCOL_VERSION}: run the same vxprobe version on both nodes`);
    await stillServes();
  });

  it('a flood of messages beyond the per-second limit ends the session', async () => {
    fixture = await startServer({ limits: { maxMessagesPerSecond: 5, maxCallsPerSecond: 100 } });
    const p = await authenticated();
    for (let i = 0; i < 10; i++) p.send('call', { id: i + 1, method: 'slow', params: { ms: 0 } });
    const { error } = await serverEnds(p);
    expect(error).toBe('peer sent more than 5 messages per second');
    // The handshake lines count too (2): at most 3 calls got through before the cut.
    expect(fixture.effects.length).toBeLessThanOrEqual(3);
  });

  it('more bytes per second than allowed ends the session', async () => {
    fixture = await startServer({ limits: { maxBytesPerSecond: 3000, maxLineBytes: 8192 } });
    const p = await authenticated();
    p.sendRaw('x'.repeat(3500));
    expect((await serverEnds(p)).error).toBe('peer sent more than 3000 bytes per second');
    await stillServes();
  });
});
