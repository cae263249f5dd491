// The scenario catalog: a topology, an overlay port/VNI and the faults, with
// what the kernel's own datapath must show (checked by the lab tests) and the
// verdicts the prober should give (docs/architecture.md, "Verdicts"; forward =
// a->b, a runs `pair`). Healthy-but-tricky host firewalls: scenarios-hosts.ts.
import { UsageError } from '../errors.js';
import type { Scenario } from './types.js';

import { HOST_SCENARIOS } from './scenarios-hosts.js';
import { healthy, none, OK2, overlayBroken, portClosed, ports, verdicts } from './scenario-expect.js';

export { PROBED_PORTS } from './scenario-expect.js';

const PATH_AND_TABLE_SCENARIOS: Scenario[] = [
  {
    name: 'healthy-routed',
    description: 'Two nodes behind a router, flannel on 8472, nothing wrong',
    topology: 'routed',
    faults: [],
    expected: { forward: healthy(), reverse: healthy(), expectedVerdicts: verdicts(OK2, OK2), expectedFindings: none },
  },
  {
    name: 'healthy-l2',
    description: 'Two nodes on one hypervisor bridge, flannel on 8472, nothing wrong',
    topology: 'l2',
    faults: [],
    expected: { forward: healthy(), reverse: healthy(), expectedVerdicts: verdicts(OK2, OK2), expectedFindings: none },
  },
  {
    name: 'healthy-8475',
    description: 'Two nodes behind a router, flannel moved to port 8475, nothing wrong',
    topology: 'routed',
    port: 8475,
    faults: [],
    expected: { forward: healthy(), reverse: healthy(), expectedVerdicts: verdicts(OK2, OK2), expectedFindings: none },
  },
  {
    name: 'healthy-mesh',
    description: 'Three nodes on one bridge, full flannel mesh, nothing wrong (a<->b judged)',
    topology: 'mesh',
    nodeCount: 3,
    faults: [],
    expected: { forward: healthy(), reverse: healthy(), expectedVerdicts: verdicts(OK2, OK2), expectedFindings: none },
  },
  {
    name: 'sg-oneway-8472',
    description: 'Security group drops udp/8472 from b to a only (one node\'s inbound rule missing)',
    topology: 'routed',
    faults: [{ kind: 'sg-drop', port: 8472, flow: 'b->a', mode: 'drop' }],
    expected: {
      forward: overlayBroken(true),
      reverse: portClosed(8472),
      expectedVerdicts: verdicts(['ok', 'filtered'], OK2),
      expectedFindings: none,
      notes: 'a->b frames arrive; the round trip fails only because of the reverse path, so forward stays ok.',
    },
  },
  {
    name: 'sg-8472',
    description: 'Security group drops udp/8472 both ways; other UDP passes',
    topology: 'routed',
    faults: [{ kind: 'sg-drop', port: 8472, flow: 'both', mode: 'drop' }],
    expected: { forward: portClosed(8472), reverse: portClosed(8472), expectedVerdicts: verdicts(['filtered', 'filtered'], OK2), expectedFindings: none },
  },
  {
    name: 'sg-reject-8472',
    description: 'The router rejects udp/8472 both ways with ICMP admin-prohibited',
    topology: 'routed',
    faults: [{ kind: 'sg-drop', port: 8472, flow: 'both', mode: 'reject' }],
    expected: {
      forward: { ...portClosed(8472), icmp: ['admin-prohibited'] },
      reverse: { ...portClosed(8472), icmp: ['admin-prohibited'] },
      expectedVerdicts: verdicts(['filtered', 'filtered'], OK2),
      expectedFindings: none,
      notes: 'The ICMP comes from the router (192.168.10.1 towards a, 192.168.20.1 towards b).',
    },
  },
  {
    name: 'sg-oneway-8475',
    description: 'Flannel on 8475; the security group drops udp/8475 from b to a only',
    topology: 'routed',
    port: 8475,
    faults: [{ kind: 'sg-drop', port: 8475, flow: 'b->a', mode: 'drop' }],
    expected: {
      forward: overlayBroken(true),
      reverse: portClosed(8475),
      expectedVerdicts: verdicts(OK2, ['ok', 'filtered']),
      expectedFindings: none,
    },
  },
  {
    name: 'hypervisor-8472',
    description: 'The hypervisor bridge consumes VXLAN-formatted UDP to 8472 (any VNI); plain UDP to 8472 passes',
    topology: 'l2',
    faults: [{ kind: 'hypervisor-eats-vxlan', port: 8472 }],
    expected: {
      forward: { ...overlayBroken(), vxlanUdp: ports(false, true), vxlanOtherVni: ports(false, true) },
      reverse: { ...overlayBroken(), vxlanUdp: ports(false, true), vxlanOtherVni: ports(false, true) },
      expectedVerdicts: verdicts(['hijacked', 'hijacked'], OK2),
      expectedFindings: none,
    },
  },
  {
    name: 'hypervisor-vni-1',
    description: 'The hypervisor bridge consumes VXLAN VNI 1 on 8472 only; other VNIs and plain UDP pass',
    topology: 'l2',
    faults: [{ kind: 'hypervisor-eats-vxlan', port: 8472, vni: 1 }],
    expected: {
      forward: { ...overlayBroken(), vxlanUdp: ports(false, true) },
      reverse: { ...overlayBroken(), vxlanUdp: ports(false, true) },
      expectedVerdicts: verdicts(['hijacked', 'hijacked'], OK2),
      expectedFindings: none,
      notes: 'Evidence should name VNI 1 (VNI 4242 passes).',
    },
  },
  {
    name: 'port-conflict-program',
    description: 'A program on node b holds udp/8472, so b\'s flannel.1 cannot come up',
    topology: 'routed',
    faults: [{ kind: 'port-held-by-program', node: 'b', port: 8472 }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(),
      expectedVerdicts: verdicts(['port-conflict', 'ok'], OK2),
      expectedFindings: [
        { node: 'b', fault: 'port-owner', detail: 'udp/8472 held by vxp-port-holder (not a VXLAN device)' },
        { node: 'b', fault: 'vtep-down', detail: 'flannel.1 is down (address already in use)' },
      ],
      notes: 'b\'s pods have no overlay at all; the reverse frames still reach a\'s healthy VTEP, so reverse stays ok.',
    },
  },
  {
    name: 'port-conflict-vxlan',
    description: 'A second VXLAN device (metadata mode, like OVS) holds udp/8472 on node b before flannel',
    topology: 'routed',
    faults: [{ kind: 'second-vxlan-device', node: 'b', port: 8472 }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(),
      expectedVerdicts: verdicts(['port-conflict', 'ok'], OK2),
      expectedFindings: [
        { node: 'b', fault: 'port-owner', detail: 'udp/8472 held by vxlan0 (external), not flannel.1' },
        { node: 'b', fault: 'vtep-down', detail: 'flannel.1 is down (address already in use)' },
      ],
    },
  },
  {
    name: 'fdb-vagrant',
    description: 'Node a\'s FDB sends b\'s VtepMAC to 10.0.2.15 (Vagrant NAT address, also on a\'s eth1)',
    topology: 'l2',
    faults: [{ kind: 'fdb-wrong-ip', node: 'a', peer: 'b', ip: '10.0.2.15' }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(true),
      expectedVerdicts: verdicts(['vtep-mapping', 'ok'], OK2),
      expectedFindings: [{ node: 'a', fault: 'fdb-dst', detail: '0e:fa:00:00:00:02 -> 10.0.2.15, b is 192.168.1.12' }],
    },
  },
  {
    name: 'stale-vtep-mac',
    description: 'Node a\'s neighbor entry for b\'s VTEP holds an old MAC (b\'s flannel.1 was recreated)',
    topology: 'l2',
    faults: [{ kind: 'stale-vtep-mac', node: 'a', peer: 'b' }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(true),
      expectedVerdicts: verdicts(['vtep-mapping', 'ok'], OK2),
      expectedFindings: [{ node: 'a', fault: 'neigh-mac', detail: '10.244.2.0 -> 0e:fa:de:ad:00:02, b\'s flannel.1 is 0e:fa:00:00:00:02' }],
    },
  },
  {
    name: 'wrong-public-ip',
    description: 'Node b\'s public-ip annotation says 10.0.2.15; a\'s FDB follows it',
    topology: 'l2',
    faults: [{ kind: 'public-ip', nodes: ['b'], ip: '10.0.2.15' }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(true),
      expectedVerdicts: verdicts(['vtep-mapping', 'ok'], OK2),
      expectedFindings: [
        { node: 'b', fault: 'public-ip', detail: 'annotation 10.0.2.15, eth0 is 192.168.1.12' },
        { node: 'a', fault: 'fdb-dst', detail: '0e:fa:00:00:00:02 -> 10.0.2.15' },
      ],
    },
  },
  {
    name: 'dup-public-ip',
    description: 'Every node\'s public-ip annotation says 10.0.2.15 (Vagrant); every FDB entry follows it',
    topology: 'l2',
    faults: [{ kind: 'public-ip', nodes: 'all', ip: '10.0.2.15' }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(),
      expectedVerdicts: verdicts(['vtep-mapping', 'vtep-mapping'], OK2),
      expectedFindings: [
        { node: 'a', fault: 'public-ip', detail: 'annotation 10.0.2.15 duplicated on every node' },
        { node: 'a', fault: 'fdb-dst', detail: '0e:fa:00:00:00:02 -> 10.0.2.15' },
        { node: 'b', fault: 'fdb-dst', detail: '0e:fa:00:00:00:01 -> 10.0.2.15' },
      ],
    },
  },
  {
    name: 'mtu-black-hole',
    description: 'The hypervisor port to b has MTU 1400: full-size overlay frames vanish, no ICMP',
    topology: 'l2',
    faults: [{ kind: 'mtu-black-hole', mtu: 1400 }],
    expected: {
      forward: { ...healthy(), bigPodPing: false },
      reverse: { ...healthy(), bigPodPing: false },
      expectedVerdicts: verdicts(['mtu', 'mtu'], ['mtu', 'mtu']),
      expectedFindings: none,
      notes: 'Both ports: MTU-sized VXLAN to 8475 vanishes too.',
    },
  },
  {
    name: 'host-firewall-8472',
    description: 'Node b\'s INPUT chain drops udp/8472 (host firewall)',
    topology: 'routed',
    faults: [{ kind: 'host-firewall', node: 'b', port: 8472 }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(true),
      expectedVerdicts: verdicts(['host-drop', 'ok'], OK2),
      expectedFindings: [{ node: 'b', fault: 'input-drop', detail: 'iptables INPUT -p udp --dport 8472 -j DROP' }],
    },
  },
  {
    name: 'ip-forward-off',
    description: 'net.ipv4.ip_forward=0 on node b (reset by a reboot)',
    topology: 'routed',
    faults: [{ kind: 'ip-forward-off', node: 'b' }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(),
      expectedVerdicts: verdicts(['host-drop', 'ok'], OK2),
      expectedFindings: [{ node: 'b', fault: 'ip-forward', detail: 'net.ipv4.ip_forward=0' }],
      notes: 'VXLAN reaches b\'s VTEP; b drops the inner packets before its pods (and b\'s pods cannot send either): blamed once, on the direction towards b.',
    },
  },
  {
    name: 'forward-reject',
    description: 'Node b\'s FORWARD chain rejects the pod network with icmp-host-prohibited',
    topology: 'routed',
    faults: [{ kind: 'forward-reject', node: 'b' }],
    expected: {
      forward: { ...overlayBroken(), podPingError: 'Destination Host Prohibited' },
      reverse: { ...overlayBroken(), podPingError: 'Destination Host Prohibited' },
      expectedVerdicts: verdicts(['host-drop', 'ok'], OK2),
      expectedFindings: [{ node: 'b', fault: 'forward-reject', detail: 'iptables FORWARD -d 10.244.0.0/16 -j REJECT --reject-with icmp-host-prohibited' }],
      notes: 'Blamed once, on the direction towards b (see ip-forward-off).',
    },
  },
  {
    name: 'rp-filter-strict',
    description: 'Node b is dual-homed (route to a via eth1) with strict rp_filter: a\'s packets on eth0 are dropped',
    topology: 'routed',
    faults: [{ kind: 'rp-filter-strict', node: 'b' }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(true),
      expectedVerdicts: verdicts(['host-drop', 'ok'], OK2),
      expectedFindings: [{ node: 'b', fault: 'rp-filter', detail: 'rp_filter=1 on eth0, route to 192.168.10.0/24 via eth1' }],
      notes: '8475 has no VXLAN device: its frames reach b\'s NIC, so it is judged ok.',
    },
  },
  {
    name: 'all-udp-dropped',
    description: 'Every UDP datagram between the nodes is dropped on the router',
    topology: 'routed',
    faults: [{ kind: 'all-udp-dropped' }],
    expected: {
      forward: { ...portClosed(8472), plainUdp: ports(false, false), vxlanUdp: ports(false, false), vxlanOtherVni: ports(false, false), baselineUdp: false },
      reverse: { ...portClosed(8472), plainUdp: ports(false, false), vxlanUdp: ports(false, false), vxlanOtherVni: ports(false, false), baselineUdp: false },
      expectedVerdicts: verdicts(['unreachable', 'unreachable'], ['unreachable', 'unreachable']),
      expectedFindings: none,
    },
  },
  {
    name: 'both-ports-closed',
    description: 'udp/8472 and udp/8475 dropped on the router both ways; other UDP passes',
    topology: 'routed',
    faults: [{ kind: 'both-ports-closed' }],
    expected: {
      forward: { ...portClosed(8472), plainUdp: ports(false, false), vxlanUdp: ports(false, false), vxlanOtherVni: ports(false, false) },
      reverse: { ...portClosed(8472), plainUdp: ports(false, false), vxlanUdp: ports(false, false), vxlanOtherVni: ports(false, false) },
      expectedVerdicts: verdicts(['filtered', 'filtered'], ['filtered', 'filtered']),
      expectedFindings: none,
    },
  },
];

export const SCENARIOS: Scenario[] = [...PATH_AND_TABLE_SCENARIOS, ...HOST_SCENARIOS];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function getScenario(name: string): Scenario {
  const sc = SCENARIOS.find((s) => s.name === name);
  if (!sc) throw new UsageError(`unknown scenario "${name}"; known: ${scenarioNames().join(', ')}`);
  return sc;
}
