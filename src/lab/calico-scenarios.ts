// Lab scenarios for Calico in VXLAN mode (vxlan.calico, VNI 4096, udp/4789;
// src/lab/calico-overlay.ts). `pair` probes 4789 and 8472 there: 8472 has no
// VXLAN device on these nodes, so it shows what plain port probes say beside
// the overlay's own port. The kernel's own overlay (pod ping through
// vxlan.calico) proves each fault, as for the flannel scenarios.
import type { Verdict } from '../diagnose/types.js';
import type { DirectionExpectation, ExpectedVerdict, Scenario } from './types.js';

export const CALICO_PROBE_PORTS = [4789, 8472];

const works: DirectionExpectation = { podPing: true, podDeliver: true, bigPodPing: true, baselineUdp: true };
const broken = (deliver = false): DirectionExpectation => ({ podPing: false, podDeliver: deliver, bigPodPing: false, baselineUdp: true });

function verdicts(v4789: [Verdict, Verdict], v8472: [Verdict, Verdict] = ['ok', 'ok']): ExpectedVerdict[] {
  return [
    { port: 4789, direction: 'forward', verdict: v4789[0] },
    { port: 4789, direction: 'reverse', verdict: v4789[1] },
    { port: 8472, direction: 'forward', verdict: v8472[0] },
    { port: 8472, direction: 'reverse', verdict: v8472[1] },
  ];
}

const calico = { overlay: 'calico' as const, port: 4789, vni: 4096, probePorts: CALICO_PROBE_PORTS };

export const CALICO_SCENARIOS: Scenario[] = [
  {
    name: 'calico-healthy',
    description: 'Two Calico nodes (VXLAN mode, vxlan.calico on 4789) behind a router, nothing wrong',
    topology: 'routed',
    ...calico,
    faults: [],
    expected: { forward: works, reverse: works, expectedVerdicts: verdicts(['ok', 'ok']), expectedFindings: [] },
  },
  {
    name: 'calico-hijacked-4789',
    description: 'Calico on 4789; the hypervisor bridge consumes VXLAN-formatted UDP to 4789, plain UDP passes',
    topology: 'l2',
    ...calico,
    faults: [{ kind: 'hypervisor-eats-vxlan', port: 4789 }],
    expected: { forward: broken(), reverse: broken(), expectedVerdicts: verdicts(['hijacked', 'hijacked']), expectedFindings: [] },
  },
  {
    name: 'calico-filtered-4789',
    description: 'Calico on 4789; a security group drops udp/4789 both ways, other UDP passes',
    topology: 'routed',
    ...calico,
    faults: [{ kind: 'sg-drop', port: 4789, flow: 'both', mode: 'drop' }],
    expected: { forward: broken(), reverse: broken(), expectedVerdicts: verdicts(['filtered', 'filtered']), expectedFindings: [] },
  },
  {
    name: 'calico-stale-tunnel-mac',
    description: 'Node a\'s neighbor and FDB entries hold b\'s old tunnel MAC (b\'s vxlan.calico was recreated)',
    topology: 'l2',
    ...calico,
    faults: [{ kind: 'stale-vtep-mac', node: 'a', peer: 'b' }],
    expected: {
      forward: broken(),
      reverse: broken(true),
      expectedVerdicts: verdicts(['vtep-mapping', 'ok']),
      expectedFindings: [],
      notes: 'b -> a frames reach a\'s pod; only the replies go to the stale MAC, so the reverse direction stays ok.',
    },
  },
];
