// The agent end to end over fakes (no root): results shape, provisional then
// stable verdicts, metrics names and labels, busy retries, peers leaving,
// inbound expectations, and the HTTP API's status codes.
import { afterEach, describe, expect, it } from 'vitest';
import { agent, type Agent } from '../../../src/agent/agent.js';
import { FakeDiscovery, fakeListen, peerNode, scriptedPair, waitFor } from './fakes.js';

const SECRET = Buffer.from('agent-unit-test-secret-0123456789');
const NODES = ['n0', 'n1', 'n2', 'n3'].map((n, i) => peerNode(n, `10.0.0.${i + 1}`));
let running: Agent[] = [];

afterEach(async () => {
  await Promise.all(running.map((a) => a.close()));
  running = [];
});

async function start(opts: { pair: ReturnType<typeof scriptedPair>; discovery?: FakeDiscovery; perPeer?: boolean; listen?: ReturnType<typeof fakeListen> }) {
  const discovery = opts.discovery ?? new FakeDiscovery(NODES);
  const listen = opts.listen ?? fakeListen();
  const lines: string[] = [];
  const a = await agent({
    iface: 'eth0', secret: SECRET, discovery, name: 'n0', intervalMs: 300, http: { host: '127.0.0.1', port: 0 },
    pairFn: opts.pair.fn, listenFn: listen.fn, collectFacts: null, perPeerMetrics: opts.perPeer ?? false,
    log: (l) => lines.push(l),
  });
  running.push(a);
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${a.httpPort}${path}`);
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
  };
  return { a, discovery, listen, lines, get };
}

describe('agent over fakes', () => {
  it('shows the first result at once as provisional, then stable; exact /api/v1/results shape', async () => {
    const pair = scriptedPair((ip, port, dir) => (ip === '10.0.0.2' && port === 8472 && dir === 'forward' ? 'hijacked' : 'ok'));
    const { a, get, lines } = await start({ pair });
    const first = await waitFor('a first result', () => a.results().results.find((r) => r.peer === 'n1' && r.port === 8472 && r.direction === 'forward'));
    expect(first.verdict).toBe('hijacked');
    // The confirming round comes a quarter interval (75 ms) later, so on a loaded machine a poll may
    // already see it stable; the log line written when the first result arrived says it was provisional.
    expect(lines).toContain('n1 8472/forward: hijacked (provisional); remedy: fix 8472');
    await waitFor('stable', () => a.results().results.find((r) => r.peer === 'n1' && r.port === 8472 && r.direction === 'forward' && r.stable));
    // Each peer has its own phase in the interval: on a loaded machine n2 and
    // n3 may report after n1 is already stable.
    await waitFor('every peer reported', () => a.results().results.length === 12 && a.results().results.every((r) => r.stable));
    const doc = JSON.parse((await get('/api/v1/results')).text);
    expect(Object.keys(doc).sort()).toEqual(['node', 'results', 'updatedAt']);
    expect(doc.node).toBe('n0');
    const row = doc.results.find((r: { peer: string; port: number; direction: string }) => r.peer === 'n1' && r.port === 8472 && r.direction === 'forward');
    expect(Object.keys(row).sort()).toEqual(['direction', 'evidence', 'lastChecked', 'peer', 'peerIp', 'port', 'reason', 'remedy', 'since', 'stable', 'verdict']);
    expect(row).toMatchObject({ peerIp: '10.0.0.2', reason: 'ring', verdict: 'hijacked', stable: true, remedy: 'fix 8472' });
    // N=4 <= K+1: everyone probes everyone, 3 peers x 2 ports x 2 directions.
    expect(doc.results).toHaveLength(12);
    expect(doc.results.filter((r: { verdict: string }) => r.verdict !== 'ok')).toHaveLength(1);
    // One log line for the verdict, none per probe.
    expect(lines.filter((l) => l.startsWith('n1 8472/forward'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('n2 '))).toHaveLength(4);
  });

  it('/metrics: the documented names, every vxprobe_peers combination, no peer labels by default', async () => {
    const pair = scriptedPair((ip, port) => (ip === '10.0.0.3' && port === 8475 ? 'filtered' : 'ok'));
    const { get } = await start({ pair });
    await waitFor('rounds', () => pair.calls.length >= 6);
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    for (const name of ['vxprobe_peers', 'vxprobe_probes_total', 'vxprobe_probe_frames_sent_total', 'vxprobe_probe_frames_lost_total', 'vxprobe_probe_rtt_seconds_bucket', 'vxprobe_inbound_peers', 'vxprobe_expected_inbound_peers', 'vxprobe_selected_peers', 'vxprobe_known_peers', 'vxprobe_inspect_findings', 'vxprobe_last_round_timestamp_seconds', 'vxprobe_build_info', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(m.text, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
    }
    const peers = m.text.split('\n').filter((l) => l.startsWith('vxprobe_peers{'));
    expect(peers).toHaveLength(2 * 2 * 9);
    expect(m.text).toMatch(/^vxprobe_peers\{port="8475",direction="forward",verdict="filtered"\} 1$/m);
    expect(m.text).toMatch(/^vxprobe_peers\{port="8472",direction="forward",verdict="ok"\} 3$/m);
    expect(m.text).toMatch(/^vxprobe_known_peers 3$/m);
    expect(m.text).not.toMatch(/peer="/);
    expect(m.text).toMatch(/^vxprobe_build_info\{version="0\.1\.0"\} 1$/m);
    // The per-node series budget (docs/agent.md): < 150 including the process defaults.
    const series = m.text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(series.length).toBeLessThan(150);
    expect(m.text).not.toMatch(/^nodejs_gc_duration_seconds/m);
  });

  it('a peer leaving removes its cells and its per-peer series', async () => {
    const pair = scriptedPair(() => 'ok');
    const { a, discovery, get } = await start({ pair, perPeer: true });
    await waitFor('n3 results', () => a.results().results.some((r) => r.peer === 'n3'));
    expect((await get('/metrics')).text).toMatch(/vxprobe_peer_verdict\{peer="n3"/);
    discovery.set(NODES.filter((n) => n.name !== 'n3'));
    expect(a.results().results.some((r) => r.peer === 'n3')).toBe(false);
    const m = (await get('/metrics')).text;
    expect(m).not.toMatch(/peer="n3"/);
    expect(m).toMatch(/^vxprobe_known_peers 2$/m);
    const callsBefore = pair.calls.filter((c) => c.peer === '10.0.0.4').length;
    await new Promise((r) => setTimeout(r, 700));
    expect(pair.calls.filter((c) => c.peer === '10.0.0.4').length).toBe(callsBefore);
  });

  it('a busy peer is retried within the interval; a dead one shows unknown with the reason', async () => {
    const pair = scriptedPair((ip) => (ip === '10.0.0.4' ? 'throw' : 'ok'));
    pair.busy.set('10.0.0.2', 1);
    const { a } = await start({ pair });
    await waitFor('n1 after busy', () => a.results().results.some((r) => r.peer === 'n1'));
    expect(pair.calls.filter((c) => c.peer === '10.0.0.2').length).toBeGreaterThanOrEqual(2);
    const dead = await waitFor('n3 unknown', () => a.results().results.find((r) => r.peer === 'n3'));
    expect(dead.verdict).toBe('unknown');
    expect(dead.evidence[0]!.message).toMatch(/ECONNREFUSED/);
  });

  it('expected inbound: reports who reached us and who did not', async () => {
    const pair = scriptedPair(() => 'ok');
    const listen = fakeListen();
    const { get } = await start({ pair, listen });
    listen.session('10.0.0.2');
    listen.session('::ffff:10.0.0.3', [8472]);
    const peers = JSON.parse((await get('/api/v1/peers')).text);
    expect(peers.expectedInbound.map((e: { peer: string }) => e.peer).sort()).toEqual(['n1', 'n2', 'n3']);
    const p8472 = peers.inbound.find((p: { port: number }) => p.port === 8472);
    expect(p8472).toMatchObject({ reached: ['n1', 'n2'], missing: ['n3'], silent: false });
    expect(peers.inbound.find((p: { port: number }) => p.port === 8475).reached).toEqual(['n1']);
    expect((await get('/metrics')).text).toMatch(/^vxprobe_inbound_peers\{port="8472"\} 2$/m);
  });

  it('HTTP: probes, 404 for unknown paths, 405 for writes, readyz follows discovery', async () => {
    const pair = scriptedPair(() => 'ok');
    const discovery = new FakeDiscovery(NODES);
    const { get, a } = await start({ pair, discovery });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/../../etc/passwd')).status).toBe(404);
    expect((await get('/api/v1/results/../../x')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${a.httpPort}/api/v1/results`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    discovery.synced = false;
    const r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/discovery/);
    expect(JSON.parse((await get('/api/v1/inspect')).text)).toMatchObject({ findings: [] });
  });

  it('close() stops probing and closes the listener and discovery', async () => {
    const pair = scriptedPair(() => 'ok');
    const listen = fakeListen();
    const discovery = new FakeDiscovery(NODES);
    const { a } = await start({ pair, listen, discovery });
    await waitFor('a round', () => pair.calls.length > 0);
    const t0 = Date.now();
    await a.close();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(listen.state.closed).toBe(true);
    expect(discovery.closed).toBe(true);
    const n = pair.calls.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(pair.calls.length).toBe(n);
  });
});
