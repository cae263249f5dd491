// Hostile HTTP clients (huge headers, garbage, bad paths, trickling
// connections) are answered or dropped without holding up probe rounds.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, type Agent } from '../../../src/agent/agent.js';
import { FakeDiscovery, fakeListen, peerNode, scriptedPair } from './fakes.js';

const NODES = ['n0', 'n1', 'n2', 'n3'].map((n, i) => peerNode(n, `10.0.1.${i + 1}`));
let a: Agent;
const pair = scriptedPair(() => 'ok');

function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.write(bytes);
  });
}

beforeAll(async () => {
  a = await agent({
    iface: 'eth0', secret: Buffer.from('hostile-http-secret-0123456789'), discovery: new FakeDiscovery(NODES), name: 'n0',
    intervalMs: 300, http: { host: '127.0.0.1', port: 0 }, pairFn: pair.fn, listenFn: fakeListen().fn, collectFacts: null, log: () => {},
  });
});
afterAll(async () => a?.close());

describe('hostile HTTP input', () => {
  it('huge headers get 431, garbage 400, odd paths 404 — and the socket is closed', async () => {
    const big = `GET /metrics HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    expect(await raw(a.httpPort!, big)).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw(a.httpPort!, '\x00\x01\x02 garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    for (const path of ['/%2e%2e/%2e%2e/etc/passwd', '/app.js/../../package.json', `/${'x'.repeat(5000)}`, '/api/v1/results%00', '//metrics']) {
      expect(await raw(a.httpPort!, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`), path).toMatch(/^HTTP\/1\.1 404/);
    }
  });

  it('trickling clients neither stop probe rounds nor the API, and are cut off by the header timeout', async () => {
    const slow: Socket[] = [];
    const closedAt: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) {
      const s = connect(a.httpPort!, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => closedAt.push(Date.now() - t0));
      s.write('GET /metrics HTTP/1.1\r\nhost: x\r\n');
      slow.push(s);
    }
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('x-drip: 1\r\n');
    }, 200);
    const callsBefore = pair.calls.length;
    await new Promise((r) => setTimeout(r, 2000));
    // 3 peers every 300 ms for 2 s: about 20 rounds; the attack must not cost a noticeable share.
    expect(pair.calls.length - callsBefore).toBeGreaterThanOrEqual(14);
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${a.httpPort}/api/v1/results`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    // headersTimeout (5 s) plus the 1 s check period.
    await new Promise((r) => setTimeout(r, 5000));
    clearInterval(drip);
    expect(closedAt.length).toBe(40);
    expect(Math.max(...closedAt)).toBeLessThan(7500);
  }, 20_000);
});
