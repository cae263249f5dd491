// Kept control sessions and one-call watch rounds (src/pair/session-pool.ts,
// watch-*.ts), as the agent uses them. argv: listen JSON | pair JSON | watch JSON.
// listen: a listener whose idle timeout is short, logging to stderr.
// pair: three runs with one SessionPool — the second on the kept session,
// the third after the listener ended it for idleness.
// watch: a full run, then watch rounds (sizes 'mtu') on its session: healthy,
// then with VXLAN to 8472 dropped on the way in (the test adds the rule when
// this script prints BREAK and waits for a line on stdin), then two more;
// plus the listener's refusals on a session without a full run, and which
// watch answers carried the listener's facts.
import { createInterface } from 'node:readline';
import { listen, pair } from '../../../src/index.js';
import { ControlClient } from '../../../src/pair/control/client.js';
import { pairMethods } from '../../../src/pair/messages.js';
import { SessionPool } from '../../../src/pair/session-pool.js';

const [mode, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as { iface: string; peer?: string; idleMs?: number };
const secret = Buffer.from(process.env.VXPROBE_SECRET ?? '', 'utf8');
const verdicts = (r: { results: { port: number; direction: string; verdict: string }[] }) => r.results.map((x) => `${x.port}/${x.direction}=${x.verdict}`);

if (mode === 'listen') {
  const l = await listen({ iface: opts.iface, secret, name: 'b', limits: { idleTimeoutMs: opts.idleMs ?? 1500 }, log: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`waiting on ${l.port}\n`);
  process.on('SIGTERM', () => void l.close().then(() => process.exit(0)));
} else if (mode === 'pair') {
  const pool = new SessionPool();
  const runs: { verdicts: string[]; keptBefore: number; keptAfter: number }[] = [];
  const once = async () => {
    const keptBefore = pool.size;
    const report = await pair({ peer: opts.peer!, iface: opts.iface, secret, name: 'a', sessions: pool });
    runs.push({ verdicts: verdicts(report), keptBefore, keptAfter: pool.size });
  };
  await once();
  await once();
  // Past the listener's idle timeout: it ends the kept session, and the pool lets it go.
  await new Promise((r) => setTimeout(r, (opts.idleMs ?? 1500) + 700));
  const keptAfterIdle = pool.size;
  await once();
  pool.close();
  process.stdout.write(`${JSON.stringify({ runs, keptAfterIdle })}\n`);
} else {
  // The listener refuses a watch on a session that never ran hello, and a probe on a port hello did not open.
  const refusals: string[] = [];
  const raw = await ControlClient.connect({ host: opts.peer!, secret, methods: pairMethods });
  const spec = { probeId: 1, direction: 'reverse' as const, kind: 'plain' as const, port: 8472, vni: null, size: null, copies: 1 };
  const watch = (port: number) => raw.call('watch', { runId: 5, probeKey: '00'.repeat(16), probes: [{ ...spec, port }], waitMs: 10 });
  await watch(8472).catch((e: Error) => refusals.push(e.message));
  await raw.call('hello', { runId: 6, ports: [8472], baselinePort: 33473, initiatorVteps: [], probeKey: '00'.repeat(16) });
  await watch(9999).catch((e: Error) => refusals.push(e.message));
  // The listener's facts travel in the first watch answer after a hello, then only when they changed.
  const answerHasFacts = async (runId: number) => {
    const answer = await raw.call('watch', { runId, probeKey: '11'.repeat(16), probes: [{ ...spec, probeId: 1 }], waitMs: 10 });
    return answer.facts !== null;
  };
  const factsSent = [await answerHasFacts(7), await answerHasFacts(8)];
  await raw.call('hello', { runId: 9, ports: [8472], baselinePort: 33473, initiatorVteps: [], probeKey: '00'.repeat(16) });
  factsSent.push(await answerHasFacts(10));
  raw.close();

  const pool = new SessionPool();
  const run = async (sizes: 'sweep' | 'mtu') => {
    let sized = 0;
    let peerName = '';
    const report = await pair({ peer: opts.peer!, iface: opts.iface, secret, name: 'a', sessions: pool, sizes, onRecord: (r) => {
      sized = r.record.plan.probes.filter((p) => p.kind === 'vxlan-size').length;
      peerName = r.record.peer.hostname;
    } });
    return { verdicts: verdicts(report), sized, peerName };
  };
  const full = await run('sweep');
  const healthy = await run('mtu');
  process.stdout.write('BREAK\n');
  const rl = createInterface({ input: process.stdin });
  await new Promise((resolve) => rl.once('line', resolve));
  rl.close();
  process.stdin.destroy();
  const broken = await run('mtu');
  // Three watch rounds on the pool's session: the facts travel once, and every record still has them.
  const peerNames = [(await run('mtu')).peerName, (await run('mtu')).peerName];
  pool.close();
  process.stdout.write(`${JSON.stringify({ refusals, factsSent, full, healthy, broken, peerNames })}\n`);
}
