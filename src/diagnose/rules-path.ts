// Verdict rules about the path between the nodes and the receiver's port,
// from the first hop outwards: does anything arrive, does this port, does
// VXLAN, is the port the VTEP's, do big frames pass.
import type { PortHolder } from '../host/types.js';
import { describeHolder } from '../overlay/port-holders.js';
import { arrived, icmpName, ofKind, rejections } from './observe.js';
import { countLine, ev, type Rule } from './rule-context.js';

/** 1. Nothing of any kind arrives: the underlay itself, not a port. */
export const unreachable: Rule = ({ record, sender, receiver, sentAll, receiverAddrs, base }) => {
  if (sentAll.some(arrived)) return null;
  return {
    verdict: 'unreachable',
    reason: `no UDP from ${sender.name} reaches ${receiver.name} (${sentAll.length} probes, any port)`,
    evidence: [
      ev('nothing-arrived', `${receiver.name}'s NIC saw none of ${sentAll.length} probes from ${sender.name}, baseline port ${record.plan.baselinePort} included, while the control channel works`),
      ...rejections(sentAll, receiverAddrs).slice(0, 1).map((i) => ev('icmp-reject', `${icmpName(i)} from ${i.from}`, { ...i })),
    ],
    remedy: { ...base, kind: 'unreachable' },
  };
};

/** 2. Nothing to this port arrives while other UDP does: a filter. */
export const portFiltered: Rule = ({ port, sender, receiver, sentAll, onPort, rejects, base }) => {
  if (onPort.some(arrived)) return null;
  const others = sentAll.filter((o) => o.probe.port !== port && arrived(o));
  const passing = [...new Set(others.map((o) => o.probe.port))];
  const evidence = [
    ev('port-silent', `none of ${onPort.length} probes to udp/${port} reached ${receiver.name}'s NIC`),
    ev('other-udp-passes', `UDP to port ${passing.join(', ')} from ${sender.name} does arrive`, { ports: passing }),
  ];
  const hop = rejects[0];
  if (hop) evidence.push(ev('icmp-reject', `${hop.from} answered with ${icmpName(hop)}`, { ...hop }));
  return {
    verdict: 'filtered',
    reason: hop ? `udp/${port} rejected by ${hop.from} (${icmpName(hop)})` : `udp/${port} silently dropped; other UDP passes`,
    evidence,
    remedy: { ...base, kind: 'filtered', rejectingHop: hop?.from ?? null, passingPorts: passing },
  };
};

/** 3. Plain UDP passes but VXLAN-formatted frames vanish: something eats VXLAN. */
export const vxlanHijacked: Rule = ({ port, receiver, plain, vx, vxOther, base }) => {
  const lostVnis = [...vx, ...vxOther].filter((o) => !arrived(o)).map((o) => o.probe.vni!);
  const passedVnis = [...new Set([...vx, ...vxOther].filter(arrived).map((o) => o.probe.vni!))];
  if (!plain.some(arrived) || lostVnis.length === 0) return null;
  const vnis = [...new Set(lostVnis)];
  const only = passedVnis.length > 0 ? `; VNI ${passedVnis.join(', ')} passes` : '';
  return {
    verdict: 'hijacked',
    reason: `plain UDP to ${port} arrives, VXLAN with VNI ${vnis.join(', ')} vanishes${only}`,
    evidence: [
      ev('plain-arrived', `plain UDP to ${port}: ${countLine(plain)} arrived at ${receiver.name}`),
      ev('vxlan-lost', `VXLAN to ${port} with VNI ${vnis.join(', ')} never reached ${receiver.name}'s NIC`, { vnis }),
      ...(passedVnis.length ? [ev('vxlan-vni-passes', `VXLAN with VNI ${passedVnis.join(', ')} does arrive: the path filters by VNI`)] : []),
    ],
    remedy: { ...base, kind: 'hijacked', lostVnis: vnis },
  };
};

/** 3b. The reverse: plain UDP to the port is dropped while VXLAN passes. */
export const plainFiltered: Rule = ({ port, plain, rejects, base }) => {
  if (plain.some(arrived)) return null;
  return {
    verdict: 'filtered',
    reason: `plain UDP to ${port} is dropped while VXLAN to ${port} passes`,
    evidence: [ev('plain-lost', `plain UDP to ${port}: ${countLine(plain)} arrived; VXLAN passes`)],
    remedy: { ...base, kind: 'filtered', rejectingHop: rejects[0]?.from ?? null, passingPorts: [] },
  };
};

/**
 * 4. The receiving node's port is held by something other than its VTEP: a
 * program, or a VXLAN device that is not the overlay's (another VNI, a
 * metadata-mode device of OVS/Cilium), or several devices at once. The
 * overlay's VNI is known only from the sender's own VTEP. Where the overlay
 * itself runs in metadata mode (Cilium), no VNI is foreign.
 */
export const portConflict: Rule = ({ port, receiver, txVtep, base }) => {
  const overlayVni = txVtep?.vni ?? null;
  const holders = receiver.facts.ports.find((p) => p.port === port)?.holders ?? [];
  const strangers = holders.filter((h) => h.kind !== 'vxlan');
  const devices = holders.filter((h): h is Extract<PortHolder, { kind: 'vxlan' }> => h.kind === 'vxlan');
  const isExternal = (h: { ifindex: number }) => receiver.facts.links.some((l) => l.ifindex === h.ifindex && l.vxlan?.external);
  const foreignDevices = devices.filter((h) => overlayVni !== null && (isExternal(h) || h.vni !== overlayVni));
  if (strangers.length === 0 && foreignDevices.length === 0 && devices.length <= 1) return null;
  const blamed = [...strangers, ...(devices.length > 1 ? devices : foreignDevices)];
  const names = blamed.map(describeHolder);
  return {
    verdict: 'port-conflict',
    reason: `on ${receiver.name} udp/${port} is held by ${names.join(' and ')}`,
    evidence: [
      ev('port-holders', `${receiver.name}'s udp/${port} holders: ${names.join(', ')}${overlayVni !== null ? ` (the overlay uses VNI ${overlayVni})` : ''}`, { holders }),
      ev('frames-arrive', `frames to ${port} reach ${receiver.name}'s NIC, so the path is fine`),
    ],
    remedy: { ...base, kind: 'port-conflict', holders: blamed },
  };
};

/** 5. Small VXLAN frames pass, MTU-sized ones do not. */
export const mtuBlackHole: Rule = ({ port, sender, receiver, onPort, vx, base }) => {
  const sizes = ofKind(onPort, port, 'vxlan-size').sort((a, b) => a.probe.size! - b.probe.size!);
  const largestOk = sizes.filter(arrived).at(-1)?.probe.size ?? null;
  const lostSizes = sizes.filter((o) => !arrived(o)).map((o) => o.probe.size!);
  if (!vx.some(arrived) || lostSizes.length === 0) return null;
  const fragNeeded = sizes.flatMap((o) => o.icmp).find((i) => i.type === 3 && i.code === 4);
  return {
    verdict: 'mtu',
    reason: `VXLAN frames up to ${largestOk ?? 'the smallest size'} bytes pass; ${Math.min(...lostSizes)} bytes and more vanish`,
    evidence: [
      ev('mtu-sweep', `outer packets of ${sizes.filter(arrived).map((o) => o.probe.size).join(', ') || 'no size'} bytes arrived; ${lostSizes.join(', ')} did not`, { largestOk, lost: lostSizes }),
      fragNeeded
        ? ev('frag-needed', `${fragNeeded.from} sent fragmentation-needed (next-hop MTU ${fragNeeded.nextHopMtu})`, { ...fragNeeded })
        : ev('no-frag-needed', 'no ICMP fragmentation-needed came back: a silent MTU black hole'),
    ],
    remedy: { ...base, kind: 'mtu', largestOk, nicMtu: Math.min(sender.facts.nic.mtu, receiver.facts.nic.mtu) },
  };
};
