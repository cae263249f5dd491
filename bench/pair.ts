// Time to verdict of `vxprobe pair` (2 ports, both directions) on the healthy
// lab and on a lab with a silent one-way drop, against the manual procedure
// operators use today (tcpdump on the receiver + `nc -u` from the sender, for
// each port and direction), scripted as fast as a person could never type it.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
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

interface Measured {
  verdict: number;
  process: number;
  report: number;
  firstFrame: number;
  manual: number;
  verdicts: string;
}

/** "vxprobe timing: first-frame-sent 123.4" (VXPROBE_TIMINGS=1, src/timing.ts). */
const phaseMs = (stderr: string, phase: string): number =>
  Number(new RegExp(`^vxprobe timing: ${phase} ([0-9.]+)$`, 'm').exec(stderr)?.[1] ?? NaN);

async function measure(scenario: string, runs: number, manualWaitMs: number): Promise<Measured> {
  const lab = buildLab(scenario);
  try {
    const inRun: number[] = [];
    const wall: number[] = [];
    const first: number[] = [];
    const shown: number[] = [];
    let verdicts = '';
    for (let i = 0; i < runs; i++) {
      const report = await pairInLab(lab, {
        env: { VXPROBE_TIMINGS: '1' },
        onPairExit: (ms, stderr, reportMs) => {
          wall.push(ms);
          shown.push(reportMs);
          first.push(phaseMs(stderr, 'first-frame-sent'));
        },
      });
      inRun.push(report.durationMs);
      verdicts = report.results.map((r) => `${r.port}/${r.direction[0]}:${r.verdict}`).join(' ');
    }
    // A person waits ~2 s per check before calling it lost; that is the manual floor.
    const manual: number[] = [];
    for (let i = 0; i < Math.min(3, runs); i++) manual.push(await manualProcedure(lab, manualWaitMs));
    return { verdict: median(inRun), process: median(wall), report: median(shown), firstFrame: median(first), manual: median(manual), verdicts };
  } finally {
    lab.down();
  }
}

export async function benchPair(): Promise<void> {
  // Targets are for CLI start to verdict (the `pair` process, start to exit).
  const rows = [
    ['healthy-l2', 9, 300],
    ['sg-oneway-8472', 5, 1000],
  ] as const;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`\npair: CLI start to verdict (2 ports x 2 directions), median; load average ${load} on ${cpus().length} CPUs`);
  console.log('scenario          CLI start->verdict ms  target ms       start->exit ms  in-run ms  start->first frame ms  manual tcpdump+nc ms  verdicts');
  for (const [name, runs, target] of rows) {
    const m = await measure(name, runs, 2000);
    const ok = m.report <= target ? 'met' : 'MISSED';
    console.log(
      `${name.padEnd(17)} ${String(Math.round(m.report)).padStart(20)}  ${String(target).padStart(6)} ${ok.padEnd(6)} ${String(Math.round(m.process)).padStart(14)}  ${String(Math.round(m.verdict)).padStart(9)}  ${String(Math.round(m.firstFrame)).padStart(21)}  ${String(Math.round(m.manual)).padStart(20)}  ${m.verdicts}`,
    );
  }
  console.log('CLI start->verdict: from spawning the `pair` process (Node start-up included) to its report on stdout;');
  console.log('start->exit: to the process\'s exit, which also waits for its clean-up (capture sockets, tracefs instance). in-run: pair() start to report.');
  console.log('start->first frame: process start to the first probe handed to the kernel (VXPROBE_TIMINGS).');
  console.log('manual: plain-UDP only, so it cannot tell hijacked from filtered nor check the VTEP tables.');
}
