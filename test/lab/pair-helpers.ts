// Shared by the pairing lab tests: run the real `listen`/`pair` pair in a
// scenario and hand back the report, always tearing the lab down.
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { listOurNetns } from '../../src/lab/netns.js';
import { pairInLab, type LabPairOptions } from '../../src/lab/pair-probe.js';
import type { PairReport, PortResult } from '../../src/diagnose/types.js';

export async function pairScenario(name: string, opts?: LabPairOptions): Promise<{ report: PairReport; lab: Lab }> {
  const lab = buildLab(name);
  try {
    return { report: await pairInLab(lab, opts), lab };
  } finally {
    lab.down();
    if (listOurNetns(lab.tag).length > 0) throw new Error(`lab ${lab.tag} left namespaces: ${listOurNetns(lab.tag).join(' ')}`);
  }
}

export function result(report: PairReport, port: number, direction: 'forward' | 'reverse'): PortResult {
  const r = report.results.find((x) => x.port === port && x.direction === direction);
  if (!r) throw new Error(`no result for ${port} ${direction}`);
  return r;
}

export const evidenceText = (r: PortResult): string => r.evidence.map((e) => e.message).join('\n');
