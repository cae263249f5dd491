// The agent's watch rounds (docs/agent.md, "Watch rounds"): the plan keeps
// every probe kind but cuts the size sweep to the MTU-sized frame, and the
// classifier gives the same verdicts from it as from the full plan wherever
// the MTU-sized frame arrives; where it does not, the verdict is not ok (so
// the agent re-runs the full plan).
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/classify.js';
import type { PortResult } from '../../src/diagnose/types.js';
import { buildPlan, sweepSizes } from '../../src/pair/plan.js';
import { A, B, nodeFacts, simulate } from '../helpers/run-fixture.js';
import type { PathModel } from '../helpers/run-fixture.js';

const a = () => nodeFacts(A, B);
const b = () => nodeFacts({ ...B, mtu: 1450 }, A);
const verdicts = (rs: PortResult[]) => Object.fromEntries(rs.map((r) => [`${r.port}/${r.direction}`, r.verdict]));
const kinds = (sizes: 'sweep' | 'mtu') =>
  buildPlan({ runId: 1, ports: [8472, 8475], baselinePort: 33473, vni: 1, local: a(), peer: b(), sizes }).probes;

describe('watch plan', () => {
  it('keeps every probe kind, with one vxlan-size probe per port and direction at the smaller MTU', () => {
    const full = kinds('sweep');
    const watch = kinds('mtu');
    expect(new Set(watch.map((p) => p.kind))).toEqual(new Set(full.map((p) => p.kind)));
    const sized = watch.filter((p) => p.kind === 'vxlan-size');
    expect(sized.map((p) => `${p.port}/${p.direction}/${p.size}`)).toEqual(['8472/forward/1450', '8475/forward/1450', '8472/reverse/1450', '8475/reverse/1450']);
    expect(full.filter((p) => p.kind === 'vxlan-size')).toHaveLength(4 * sweepSizes(1450).length);
    expect(full.length - watch.length).toBe(4 * (sweepSizes(1450).length - 1));
    // Probe ids stay dense: the listener checks them against the plan it was sent.
    expect(watch.map((p) => p.probeId)).toEqual(watch.map((_, i) => i + 1));
  });

  const cases: [string, PathModel][] = [
    ['healthy', {}],
    ['one-way filtered 8472', { lose: (p) => p.direction === 'reverse' && p.port === 8472 }],
    ['hijacked 8472', { lose: (p) => p.port === 8472 && p.kind !== 'plain' && p.kind !== 'baseline' }],
    ['VTEP not answering', { noReply: (p) => p.port === 8472 && p.kind === 'vtep-peer' }],
  ];
  for (const [name, model] of cases) {
    it(`${name}: the same verdicts as the full plan`, () => {
      expect(verdicts(classify(simulate(a(), b(), model, [8472, 8475], 'mtu')))).toEqual(verdicts(classify(simulate(a(), b(), model))));
    });
  }

  it('an MTU black hole is not ok in a watch round either (the agent then runs the sweep for the ceiling)', () => {
    const model: PathModel = { lose: (p) => p.port === 8472 && (p.size ?? 0) > 1400 };
    const watch = classify(simulate(a(), b(), model, [8472, 8475], 'mtu'));
    expect(verdicts(watch)).toMatchObject({ '8472/forward': 'mtu', '8472/reverse': 'mtu', '8475/forward': 'ok' });
    const full = classify(simulate(a(), b(), model));
    expect(full.find((r) => r.port === 8472 && r.direction === 'forward')!.reason).toMatch(/up to 1400 bytes pass/);
  });
});
