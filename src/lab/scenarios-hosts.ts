// Healthy-but-tricky hosts: the firewall layouts real nodes carry (CentOS,
// firewalld, Docker, kube-proxy in both modes; src/lab/host-layouts.ts), on
// both nodes, where `pair` must say ok everywhere and `inspect` report no
// error; and their faulty twins on node b. A false alarm on one of these
// is a bug (docs/architecture.md, "Firewall semantics").
import type { HostLayout } from './host-layouts.js';
import { healthy, none, OK2, overlayBroken, verdicts } from './scenario-expect.js';
import type { Scenario } from './types.js';

function healthyHost(layout: HostLayout, description: string): Scenario {
  return {
    name: `host-${layout}`,
    description,
    topology: 'routed',
    faults: [{ kind: 'host-layout', node: 'all', layout }],
    expected: { forward: healthy(), reverse: healthy(), expectedVerdicts: verdicts(OK2, OK2), expectedFindings: none },
  };
}

export const HOST_SCENARIOS: Scenario[] = [
  healthyHost('centos', 'CentOS/RHEL iptables (legacy) on both nodes: FORWARD accepts the pod network, then a catch-all REJECT; INPUT opens 8472 and 7473'),
  healthyHost('firewalld', "firewalld's nft tables on both nodes: public zone with udp/8472 and tcp/7473 open, the pod network in the trusted zone"),
  healthyHost('docker-flannel', "Docker's FORWARD policy DROP and DOCKER-USER/DOCKER chains on both nodes, plus flannel's FLANNEL-FWD accepting the pod network"),
  healthyHost('kube-proxy-iptables', "kube-proxy's iptables (nft backend) chains on both nodes: KUBE-FORWARD, KUBE-FIREWALL, KUBE-SERVICES, and flannel's FLANNEL-FWD"),
  healthyHost('kube-proxy-nft', "kube-proxy's nftables mode on both nodes: its own table with verdict maps for services without endpoints"),
  {
    name: 'docker-no-flannel',
    description: "Node b has Docker's FORWARD policy DROP and no flannel ACCEPT rules: pod traffic dies at the policy",
    topology: 'routed',
    faults: [{ kind: 'host-layout', node: 'b', layout: 'docker-no-flannel' }],
    expected: {
      forward: overlayBroken(),
      reverse: overlayBroken(),
      expectedVerdicts: verdicts(['host-drop', 'ok'], OK2),
      expectedFindings: none,
      notes: 'Blamed once, on the direction towards b (see ip-forward-off); the evidence names the FORWARD policy DROP.',
    },
  },
  {
    name: 'reject-before-accept',
    description: "Node b's FORWARD chain has the catch-all REJECT before the ACCEPTs of the pod network",
    topology: 'routed',
    faults: [{ kind: 'host-layout', node: 'b', layout: 'reject-before-accept' }],
    expected: {
      forward: { ...overlayBroken(), podPingError: 'Destination Host Prohibited' },
      reverse: { ...overlayBroken(), podPingError: 'Destination Host Prohibited' },
      expectedVerdicts: verdicts(['host-drop', 'ok'], OK2),
      expectedFindings: none,
      notes: 'Blamed once, on the direction towards b (see forward-reject).',
    },
  },
];
