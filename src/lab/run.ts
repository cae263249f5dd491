// `lab run`: the kernel's own truth for a scenario, then the prober's
// verdicts (`pair` run in the lab), each compared with the scenario's
// expectations.
import type { PairReport } from '../diagnose/types.js';
import { buildLab, type Lab } from './lab.js';
import { listOurNetns } from './netns.js';
import { compareTruth, kernelTruth } from './truth.js';
import type { Direction } from '../diagnose/plan-types.js';
import type { Verdict } from '../diagnose/types.js';
import type { DirectionExpectation, DirectionTruth, ExpectedVerdict, KernelTruth } from './types.js';

export interface ProbeVerdict {
  port: number;
  direction: Direction;
  verdict: Verdict;
}

/** What a prober says about a lab: verdicts (a->b is forward) and its own report. */
export interface ProbeResult {
  verdicts: ProbeVerdict[];
  report?: PairReport;
}

/** A prober run against a lab (`pair`, see pair-probe.ts). */
export type LabProbe = (lab: Lab) => Promise<ProbeResult>;

export interface ScenarioRun {
  scenario: string;
  tag: string;
  truth: KernelTruth;
  /** Where the kernel disagreed with the scenario (empty: the fault is real). */
  truthMismatches: string[];
  verdicts?: ProbeVerdict[];
  report?: PairReport;
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
    const result = await probe(lab);
    run.verdicts = result.verdicts;
    if (result.report) run.report = result.report;
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
  const lines = [`${'kernel truth'.padEnd(w)}  ${'a->b (forward)'.padEnd(40)}  b->a (reverse)`];
  for (const [name, f] of rows) lines.push(`${name.padEnd(w)}  ${f(truth.forward).padEnd(40)}  ${f(truth.reverse)}`);
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

export interface ScenarioCheck {
  scenario: string;
  tag: string;
  run: ScenarioRun;
  /** Kernel truth after reverting every fault, compared with a healthy lab. */
  afterRevertMismatches?: string[];
  /** Namespaces of this lab still present after down() (must be empty). */
  leftovers: string[];
}

const HEALTHY_AFTER_REVERT: DirectionExpectation = {
  podPing: true,
  podDeliver: true,
  bigPodPing: true,
  plainUdp: { 8472: true, 8475: true },
  vxlanUdp: { 8472: true, 8475: true },
  vxlanOtherVni: { 8472: true, 8475: true },
  baselineUdp: true,
};

/**
 * Builds, checks and tears down scenarios, `concurrency` labs at a time (the
 * lab tests and `lab run --all`-style callers). With `revert`, every fault is
 * reverted afterwards and the lab must be healthy again.
 */
export async function checkScenarios(
  names: string[],
  opts: { concurrency?: number; revert?: boolean; probe?: LabProbe } = {},
): Promise<ScenarioCheck[]> {
  const results: ScenarioCheck[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      const lab = buildLab(names[i] as string);
      try {
        const run = await runScenario(lab, opts.probe);
        let afterRevertMismatches: string[] | undefined;
        if (opts.revert) {
          lab.revertFault();
          const t = await kernelTruth(lab);
          afterRevertMismatches = [
            ...compareTruth(HEALTHY_AFTER_REVERT, t.forward, 'a->b after revert'),
            ...compareTruth(HEALTHY_AFTER_REVERT, t.reverse, 'b->a after revert'),
          ];
        }
        results[i] = { scenario: lab.scenario.name, tag: lab.tag, run, afterRevertMismatches, leftovers: [] };
      } finally {
        lab.down();
      }
      const r = results[i];
      if (r) r.leftovers = listOurNetns(lab.tag);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return results;
}
