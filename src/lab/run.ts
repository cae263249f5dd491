// `lab run`: the kernel's own truth for a scenario, then (once pairing is
// plugged in) the prober's verdicts, each compared with the scenario's
// expectations.
import type { Lab } from './lab.js';
import { compareTruth, kernelTruth } from './truth.js';
import type { Direction, DirectionTruth, ExpectedVerdict, KernelTruth, Verdict } from './types.js';

export interface ProbeVerdict {
  port: number;
  direction: Direction;
  verdict: Verdict;
}

/** A prober run against a lab (the lead plugs in `pair`): a->b is forward. */
export type LabProbe = (lab: Lab) => Promise<ProbeVerdict[]>;

export interface ScenarioRun {
  scenario: string;
  tag: string;
  truth: KernelTruth;
  /** Where the kernel disagreed with the scenario (empty: the fault is real). */
  truthMismatches: string[];
  verdicts?: ProbeVerdict[];
  verdictMismatches: string[];
}

export function compareVerdicts(expected: ExpectedVerdict[], got: ProbeVerdict[]): string[] {
  const out: string[] = [];
  for (const want of expected) {
    const v = got.find((g) => g.port === want.port && g.direction === want.direction);
    if (!v) out.push(`${want.port} ${want.direction}: no verdict, expected ${want.verdict}`);
    else if (v.verdict !== want.verdict) out.push(`${want.port} ${want.direction}: ${v.verdict}, expected ${want.verdict}`);
  }
  return out;
}

export async function runScenario(lab: Lab, probe?: LabProbe): Promise<ScenarioRun> {
  const truth = await kernelTruth(lab);
  const exp = lab.scenario.expected;
  const truthMismatches = [
    ...compareTruth(exp.forward, truth.forward, 'a->b'),
    ...compareTruth(exp.reverse, truth.reverse, 'b->a'),
  ];
  const run: ScenarioRun = { scenario: lab.scenario.name, tag: lab.tag, truth, truthMismatches, verdictMismatches: [] };
  if (probe) {
    run.verdicts = await probe(lab);
    run.verdictMismatches = compareVerdicts(exp.expectedVerdicts, run.verdicts);
  }
  return run;
}

const yes = (b: boolean) => (b ? 'passes' : 'FAILS');

/** A table a person reads in five seconds: one row per check, directions as columns. */
export function formatTruth(truth: KernelTruth, port: number): string {
  const rows: [string, (d: DirectionTruth) => string][] = [
    ['pod ping', (d) => yes(d.podPing) + (d.podPingError ? ` (${d.podPingError})` : '')],
    ['pod UDP one way', (d) => yes(d.podDeliver)],
    ['pod ping at MTU (DF)', (d) => yes(d.bigPodPing)],
  ];
  for (const p of [8472, 8475]) {
    const mark = p === port ? ' (flannel)' : '';
    rows.push([`plain UDP to ${p}${mark}`, (d) => yes(d.plainUdp[p] ?? false)]);
    rows.push([`VXLAN to ${p}${mark}`, (d) => yes(d.vxlanUdp[p] ?? false)]);
    rows.push([`VXLAN other VNI to ${p}`, (d) => yes(d.vxlanOtherVni[p] ?? false)]);
  }
  rows.push(['baseline UDP', (d) => yes(d.baselineUdp)]);
  rows.push(['ICMP back to sender', (d) => d.icmp.join(', ') || '-']);
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = [`${'kernel truth'.padEnd(w)}  ${'a->b (forward)'.padEnd(28)}  b->a (reverse)`];
  for (const [name, f] of rows) lines.push(`${name.padEnd(w)}  ${f(truth.forward).padEnd(28)}  ${f(truth.reverse)}`);
  return lines.join('\n');
}

export function formatExpectedVerdicts(expected: ExpectedVerdict[]): string {
  const cell = (port: number, dir: Direction) => expected.find((e) => e.port === port && e.direction === dir)?.verdict ?? '-';
  return [
    `${'expected verdicts'.padEnd(18)}  ${'8472'.padEnd(14)}  8475`,
    `${'forward (a->b)'.padEnd(18)}  ${cell(8472, 'forward').padEnd(14)}  ${cell(8475, 'forward')}`,
    `${'reverse (b->a)'.padEnd(18)}  ${cell(8472, 'reverse').padEnd(14)}  ${cell(8475, 'reverse')}`,
  ].join('\n');
}
