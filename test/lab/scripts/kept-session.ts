// Kept control sessions across pairings (src/pair/session-pool.ts), as the
// agent uses them. argv: listen JSON | pair JSON.
// listen: a listener whose idle timeout is short, logging to stderr.
// pair: three runs with one SessionPool — the second on the kept session,
// the third after the listener ended it for idleness — printing what each
// run saw as one JSON line.
import { listen, pair } from '../../../src/index.js';
import { SessionPool } from '../../../src/pair/session-pool.js';

const [mode, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as { iface: string; peer?: string; idleMs?: number };
const secret = Buffer.from(process.env.VXPROBE_SECRET ?? '', 'utf8');
if (mode === 'listen') {
  const l = await listen({ iface: opts.iface, secret, name: 'b', limits: { idleTimeoutMs: opts.idleMs ?? 1500 }, log: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`waiting on ${l.port}\n`);
  process.on('SIGTERM', () => void l.close().then(() => process.exit(0)));
} else {
  const pool = new SessionPool();
  const runs: { verdicts: string[]; keptBefore: number; keptAfter: number }[] = [];
  const once = async () => {
    const keptBefore = pool.size;
    const report = await pair({ peer: opts.peer!, iface: opts.iface, secret, name: 'a', sessions: pool });
    runs.push({ verdicts: report.results.map((r) => `${r.port}/${r.direction}=${r.verdict}`), keptBefore, keptAfter: pool.size });
  };
  await once();
  await once();
  // Past the listener's idle timeout: it ends the kept session, and the pool lets it go.
  await new Promise((r) => setTimeout(r, (opts.idleMs ?? 1500) + 700));
  const keptAfterIdle = pool.size;
  await once();
  pool.close();
  process.stdout.write(`${JSON.stringify({ runs, keptAfterIdle })}\n`);
}
