// Time to verdict of `vxprobe pair` (2 ports, both directions) on the healthy
// lab and on a lab with a silent one-way drop, against the manual procedure
// operators use today (tcpdump on the receiver + `nc -u` from the sender, for
// each port and direction), scripted as fast as a person could never type it.
import { spawn, spawnSync } from 'node:child_process';
import { buildLab, type Lab } from '../src/lab/lab.js';
import { pairInLab } from '../src/lab/pair-probe.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One manual check: tcpdump -c 1 on the receiver, one `nc -u` datagram from the sender. */
async function manualCheck(lab: Lab, from: string, to: string, port: number, waitMs: number): Promise<boolean> {
  const rx = lab.node(to);
  const tx = lab.node(from);
  const dump = spawn('ip', ['netns', 'exec', rx.netns.name, 'timeout', String(waitMs / 1000), 'tcpdump', '-n', '-c', '1', '-i', 'eth0', `udp dst port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve) => {
    dump.stderr.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve());
    dump.on('exit', () => resolve());
  });
  spawnSync('ip', ['netns', 'exec', tx.netns.name, 'sh', '-c', `echo probe | nc -u -w0 ${rx.ip} ${port}`]);
  const code = await new Promise<number | null>((resolve) => dump.on('exit', resolve));
  return code === 0;
}

async function manualProcedure(lab: Lab, waitMs: number): Promise<number> {
  const t0 = performance.now();
  for (const port of [8472, 8475]) {
    await manualCheck(lab, 'a', 'b', port, waitMs);
    await manualCheck(lab, 'b', 'a', port, waitMs);
  }
  return performance.now() - t0;
}

async function measure(scenario: string, runs: number): Promise<{ verdict: number; process: number; manual: number; verdicts: string }> {
  const lab = buildLab(scenario);
  try {
    const inRun: number[] = [];
    const wall: number[] = [];
    let verdicts = '';
    for (let i = 0; i < runs; i++) {
      const report = await pairInLab(lab, { onPairExit: (ms) => wall.push(ms) });
      inRun.push(report.durationMs);
      verdicts = report.results.map((r) => `${r.port}/${r.direction[0]}:${r.verdict}`).join(' ');
    }
    // A person waits ~2 s per check before calling it lost; that is the manual floor.
    const manual: number[] = [];
    for (let i = 0; i < Math.min(3, runs); i++) manual.push(await manualProcedure(lab, 2000));
    return { verdict: median(inRun), process: median(wall), manual: median(manual), verdicts };
  } finally {
    lab.down();
  }
}

export async function benchPair(): Promise<void> {
  const rows = [
    ['healthy-l2', 9, 500],
    ['sg-oneway-8472', 5, 2500],
  ] as const;
  console.log('\npair: time to verdict (2 ports x 2 directions), median');
  console.log('scenario          in-run ms  process ms  target ms  manual tcpdump+nc ms  verdicts');
  for (const [name, runs, target] of rows) {
    const m = await measure(name, runs);
    const ok = m.verdict <= target ? 'met' : 'MISSED';
    console.log(
      `${name.padEnd(17)} ${String(Math.round(m.verdict)).padStart(9)}  ${String(Math.round(m.process)).padStart(10)}  ${String(target).padStart(6)} ${ok.padEnd(6)} ${String(Math.round(m.manual)).padStart(8)}          ${m.verdicts}`,
    );
  }
  console.log('in-run: from pair start (facts, control handshake, probing, classifying); process: node start to exit.');
  console.log('manual: plain-UDP only, so it cannot tell hijacked from filtered nor check the VTEP tables.');
}
