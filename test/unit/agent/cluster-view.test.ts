// The cluster view's fan-out, on loopback addresses only (127.0.0.x): answers
// summarised, a silent agent cut off by the timeout, an oversized answer
// refused, at most `concurrency` requests at once, one fan-out per cache period.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterView } from '../../../src/agent/cluster-view.js';

const servers: Server[] = [];
let port = 0;
let active = 0;
let peak = 0;
let hits = 0;

function serve(host: string, handler: (res: import('node:http').ServerResponse) => void): Promise<void> {
  const s = createServer((_req, res) => {
    hits++;
    active++;
    peak = Math.max(peak, active);
    res.on('close', () => active--);
    setTimeout(() => handler(res), 50);
  });
  servers.push(s);
  return new Promise((resolve) => s.listen(port, host, () => {
    port ||= (s.address() as AddressInfo).port;
    resolve();
  }));
}

const results = (bad: boolean) => JSON.stringify({ node: 'x', updatedAt: '', results: [
  { peer: 'p', port: 8472, direction: 'forward', verdict: bad ? 'hijacked' : 'ok', stable: true },
  { peer: 'p', port: 8472, direction: 'reverse', verdict: 'ok', stable: true },
] });

beforeAll(async () => {
  await serve('127.0.0.2', (res) => res.end(results(false)));
  for (const h of ['127.0.0.3', '127.0.0.5', '127.0.0.6', '127.0.0.7']) await serve(h, (res) => res.end(results(true)));
  await serve('127.0.0.4', () => {}); // never answers
  await serve('127.0.0.8', (res) => res.end('x'.repeat(64 * 1024)));
});
afterAll(() => {
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
});

describe('ClusterView', () => {
  const targets = ['2', '3', '4', '5', '6', '7', '8', '9'].map((d) => ({ name: `n${d}`, ip: `127.0.0.${d}` }));

  it('summarises each agent; timeouts, refusals and oversized answers are per-agent errors', async () => {
    const view = new ClusterView({ port, limit: 10, concurrency: 3, timeoutMs: 600, cacheMs: 60_000, maxBodyBytes: 16 * 1024 });
    const t0 = Date.now();
    const doc = await view.view(targets);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(doc.enabled).toBe(true);
    const by = new Map(doc.agents.map((x) => [x.node, x]));
    expect(by.get('n2')).toMatchObject({ ok: true, counts: { ok: 2 }, bad: [] });
    expect(by.get('n3')).toMatchObject({ ok: true, counts: { ok: 1, hijacked: 1 }, bad: [{ peer: 'p', port: 8472, direction: 'forward', verdict: 'hijacked', stable: true }] });
    expect(by.get('n4')).toMatchObject({ ok: false, error: 'no answer within 600 ms' });
    expect(by.get('n8')!.error).toMatch(/over 16384 bytes/);
    expect(by.get('n9')!.ok).toBe(false); // nothing listens there
    expect(peak).toBeLessThanOrEqual(3);
    // Cached: a second page load costs nothing.
    const before = hits;
    expect(await view.view(targets)).toBe(doc);
    expect(hits).toBe(before);
  });

  it('is off above its size limit and asks nobody', async () => {
    const view = new ClusterView({ port, limit: 5, concurrency: 3, timeoutMs: 600, cacheMs: 0 });
    const before = hits;
    const doc = await view.view(targets);
    expect(doc).toMatchObject({ enabled: false, agents: [] });
    expect(doc.reason).toMatch(/off above 5 nodes \(8 known\)/);
    expect(hits).toBe(before);
  });
});
