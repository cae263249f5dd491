// The scenario catalog is complete and self-consistent (no root needed).
import { describe, expect, it } from 'vitest';
import { FAULTY_LAYOUTS, HOST_LAYOUTS } from '../../src/lab/host-layouts.js';
import { compareVerdicts } from '../../src/lab/run.js';
import { PROBED_PORTS, SCENARIOS } from '../../src/lab/scenarios.js';
import { compareTruth } from '../../src/lab/truth.js';
import type { DirectionTruth } from '../../src/lab/types.js';

const VERDICTS = ['ok', 'filtered', 'hijacked', 'port-conflict', 'vtep-mapping', 'mtu', 'host-drop', 'unreachable'];

describe('lab scenario catalog', () => {
  it('has unique names, a healthy one per topology and one per fault kind', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ['healthy-routed', 'healthy-l2', 'healthy-8475', 'healthy-mesh']) expect(names).toContain(n);
    const kinds = new Set(SCENARIOS.flatMap((s) => s.faults.map((f) => f.kind)));
    for (const k of [
      'sg-drop', 'hypervisor-eats-vxlan', 'port-held-by-program', 'second-vxlan-device', 'fdb-wrong-ip', 'stale-vtep-mac',
      'public-ip', 'mtu-black-hole', 'host-firewall', 'ip-forward-off', 'forward-reject', 'rp-filter-strict',
      'all-udp-dropped', 'both-ports-closed', 'host-layout',
    ]) expect(kinds).toContain(k);
    const layouts = new Set(SCENARIOS.flatMap((s) => s.faults.flatMap((f) => (f.kind === 'host-layout' ? [f.layout] : []))));
    expect([...layouts].sort()).toEqual([...HOST_LAYOUTS].sort());
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s gives a known verdict for both ports and directions', (_, s) => {
    expect(s.expected.expectedVerdicts).toHaveLength(4);
    for (const port of PROBED_PORTS) {
      for (const direction of ['forward', 'reverse'] as const) {
        const v = s.expected.expectedVerdicts.find((e) => e.port === port && e.direction === direction);
        expect(VERDICTS).toContain(v?.verdict);
      }
    }
    // A healthy host layout is no fault: it must give ok everywhere.
    const faulty = s.faults.some((f) => f.kind !== 'host-layout' || FAULTY_LAYOUTS.has(f.layout));
    expect(s.expected.expectedVerdicts.some((v) => v.verdict !== 'ok')).toBe(faulty);
    expect(s.description.length).toBeGreaterThan(10);
  });

  it('compares verdicts and truth cell by cell', () => {
    const exp = SCENARIOS.find((s) => s.name === 'sg-oneway-8472')!.expected;
    expect(compareVerdicts(exp.expectedVerdicts, exp.expectedVerdicts)).toEqual([]);
    const wrong = exp.expectedVerdicts.map((v) => ({ ...v, verdict: 'ok' as const }));
    expect(compareVerdicts(exp.expectedVerdicts, wrong)).toEqual(['8472 reverse: ok, expected filtered']);
    const truth: DirectionTruth = {
      podPing: true, podDeliver: true, bigPodPing: true, plainUdp: { 8472: true, 8475: true },
      vxlanUdp: { 8472: true, 8475: true }, vxlanOtherVni: { 8472: true, 8475: true }, baselineUdp: true, icmp: [],
    };
    expect(compareTruth(exp.reverse, truth, 'b->a')).toContain('b->a: plain UDP to 8472 works, expected it to fail');
    expect(compareTruth({ icmp: ['admin-prohibited'] }, truth, 'x')).toEqual(['x: no ICMP admin-prohibited reached the sender (saw: none)']);
  });
});
