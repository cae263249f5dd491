// Evidence -> one verdict per (port, direction), in DESIGN.md §5's vocabulary.
// Pure: a RunRecord in, PortResults out. Checks run from the first hop
// outwards (does anything arrive, does this port, does VXLAN, does size, do
// the VTEP tables, does the receiving host) and the first failure decides;
// a failure explained by the other direction is not blamed on this one.
import type { HostFacts, PortHolder } from '../host/types.js';
import { forwardingBlocks, inputRulesFor, rpFilterOn } from './host-path.js';
import type { Direction } from '../pair/plan-types.js';
import { arrived, icmpName, ofKind, outcomesFor, rejections, sent, type ProbeOutcome } from './observe.js';
import { remedyFor, type RemedyContext } from './remedy.js';
import type { EvidenceItem, PortResult, RunRecord, Verdict } from './types.js';
import { compareVtepTables, vtepOnPort } from './vtep-tables.js';
import { lossEvidence } from './loss-evidence.js';

interface Side {
  name: string;
  facts: HostFacts;
  ip: string;
}

interface Decision {
  verdict: Verdict;
  reason: string;
  evidence: EvidenceItem[];
  remedy: RemedyContext | null;
}

const ev = (kind: string, message: string, data?: Record<string, unknown>): EvidenceItem =>
  data ? { kind, message, data } : { kind, message };

function countLine(outs: ProbeOutcome[]): string {
  const got = outs.filter(arrived).length;
  return `${got}/${outs.length}`;
}

const withLossEvidence = (evidence: EvidenceItem[], loss: EvidenceItem | null): EvidenceItem[] =>
  loss ? [...evidence, loss] : evidence;

export function classify(record: RunRecord): PortResult[] {
  const local: Side = { name: record.local.hostname, facts: record.local, ip: record.localIp };
  const peer: Side = { name: record.peer.hostname, facts: record.peer, ip: record.peerIp };
  const decided: { result: PortResult; remedy: RemedyContext | null }[] = [];
  for (const direction of ['forward', 'reverse'] as const) {
    const [sender, receiver] = direction === 'forward' ? [local, peer] : [peer, local];
    const outcomes = outcomesFor(record, direction);
    for (const port of record.plan.ports) {
      const d = decide(record, direction, port, sender, receiver, outcomes);
      const result: PortResult = {
        port,
        direction,
        from: sender.name,
        to: receiver.name,
        verdict: d.verdict,
        reason: d.reason,
        evidence: withLossEvidence(d.evidence, lossEvidence(record, direction, port)),
        remedy: null,
      };
      decided.push({ result, remedy: d.remedy });
    }
  }
  // Remedies may point at a port that works in both directions ("move to 8475").
  const okEverywhere = record.plan.ports.filter((p) =>
    decided.every(({ result }) => result.port !== p || result.verdict === 'ok'),
  );
  for (const { result, remedy } of decided) {
    if (remedy) result.remedy = remedyFor({ ...remedy, portsOk: okEverywhere });
  }
  return decided.map((d) => d.result);
}

function decide(
  record: RunRecord,
  direction: Direction,
  port: number,
  sender: Side,
  receiver: Side,
  all: ProbeOutcome[],
): Decision {
  const base = { port, sender: sender.name, receiver: receiver.name, senderIp: sender.ip, receiverIp: receiver.ip };
  const sentAll = all.filter(sent);
  const onPort = sentAll.filter((o) => o.probe.port === port && o.probe.kind !== 'baseline');
  const receiverAddrs = new Set([receiver.ip, ...receiver.facts.addresses.map((a) => a.address)]);

  // 1. Nothing of any kind arrives: the underlay itself, not a port.
  if (!sentAll.some(arrived)) {
    return {
      verdict: 'unreachable',
      reason: `no UDP from ${sender.name} reaches ${receiver.name} (${sentAll.length} probes, any port)`,
      evidence: [
        ev('nothing-arrived', `${receiver.name}'s NIC saw none of ${sentAll.length} probes from ${sender.name}, baseline port ${record.plan.baselinePort} included, while the control channel works`),
        ...rejections(sentAll, receiverAddrs).slice(0, 1).map((i) => ev('icmp-reject', `${icmpName(i)} from ${i.from}`, { ...i })),
      ],
      remedy: { ...base, kind: 'unreachable' },
    };
  }

  const plain = ofKind(onPort, port, 'plain');
  const vx = ofKind(onPort, port, 'vxlan');
  const vxOther = ofKind(onPort, port, 'vxlan-other-vni');
  const anyOnPort = onPort.some(arrived);
  const rejects = rejections(onPort, receiverAddrs);

  // 2. Nothing to this port arrives while other UDP does: a filter.
  if (!anyOnPort) {
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
  }

  // 3. Plain UDP passes but VXLAN-formatted frames vanish: something eats VXLAN.
  const plainOk = plain.some(arrived);
  const lostVnis = [...vx, ...vxOther].filter((o) => !arrived(o)).map((o) => o.probe.vni!);
  const passedVnis = [...vx, ...vxOther].filter(arrived).map((o) => o.probe.vni!);
  if (plainOk && lostVnis.length > 0) {
    const vnis = [...new Set(lostVnis)];
    const only = passedVnis.length > 0 ? `; VNI ${[...new Set(passedVnis)].join(', ')} passes` : '';
    return {
      verdict: 'hijacked',
      reason: `plain UDP to ${port} arrives, VXLAN with VNI ${vnis.join(', ')} vanishes${only}`,
      evidence: [
        ev('plain-arrived', `plain UDP to ${port}: ${countLine(plain)} arrived at ${receiver.name}`),
        ev('vxlan-lost', `VXLAN to ${port} with VNI ${vnis.join(', ')} never reached ${receiver.name}'s NIC`, { vnis }),
        ...(passedVnis.length ? [ev('vxlan-vni-passes', `VXLAN with VNI ${[...new Set(passedVnis)].join(', ')} does arrive: the path filters by VNI`)] : []),
      ],
      remedy: { ...base, kind: 'hijacked', lostVnis: vnis },
    };
  }
  if (!plainOk) {
    return {
      verdict: 'filtered',
      reason: `plain UDP to ${port} is dropped while VXLAN to ${port} passes`,
      evidence: [ev('plain-lost', `plain UDP to ${port}: ${countLine(plain)} arrived; VXLAN passes`)],
      remedy: { ...base, kind: 'filtered', rejectingHop: rejects[0]?.from ?? null, passingPorts: [] },
    };
  }

  // 4. The receiving node's port is held by something other than its VTEP:
  // a program, or a VXLAN device that is not the overlay's (another VNI, a
  // metadata-mode device of OVS/Cilium), or several devices at once.
  // The overlay's VNI is known only from the sender's own VTEP. Where the
  // overlay itself runs in metadata mode (Cilium), no VNI is foreign.
  const overlayVni = vtepOnPort(sender.facts, port)?.vni ?? null;
  const holders = receiver.facts.ports.find((p) => p.port === port)?.holders ?? [];
  const strangers = holders.filter((h) => h.kind !== 'vxlan');
  const devices = holders.filter((h): h is Extract<PortHolder, { kind: 'vxlan' }> => h.kind === 'vxlan');
  const isExternal = (h: { ifindex: number }) => receiver.facts.links.some((l) => l.ifindex === h.ifindex && l.vxlan?.external);
  const foreignDevices = devices.filter((h) => overlayVni !== null && (isExternal(h) || h.vni !== overlayVni));
  if (strangers.length > 0 || foreignDevices.length > 0 || devices.length > 1) {
    const names = [
      ...strangers.map((h) => (h.kind === 'process' ? `${h.command} (pid ${h.pid})` : `a socket without a process (inode ${'inode' in h ? h.inode : '?'})`)),
      ...(devices.length > 1 ? devices : foreignDevices).map((h) => `VXLAN device ${h.device} (VNI ${h.vni})`),
    ];
    return {
      verdict: 'port-conflict',
      reason: `on ${receiver.name} udp/${port} is held by ${names.join(' and ')}`,
      evidence: [
        ev('port-holders', `${receiver.name}'s udp/${port} holders: ${names.join(', ')}${overlayVni !== null ? ` (the overlay uses VNI ${overlayVni})` : ''}`, { holders }),
        ev('frames-arrive', `frames to ${port} reach ${receiver.name}'s NIC, so the path is fine`),
      ],
      remedy: { ...base, kind: 'port-conflict', holders: [...strangers, ...(devices.length > 1 ? devices : foreignDevices)] },
    };
  }

  // 5. Small VXLAN frames pass, MTU-sized ones do not.
  const sizes = ofKind(onPort, port, 'vxlan-size').sort((a, b) => a.probe.size! - b.probe.size!);
  const largestOk = sizes.filter(arrived).at(-1)?.probe.size ?? null;
  const lostSizes = sizes.filter((o) => !arrived(o)).map((o) => o.probe.size!);
  if (vx.some(arrived) && lostSizes.length > 0) {
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
  }

  // 6-7. Where both nodes run a VTEP on this port: tables, then the receiving host.
  const txVtep = vtepOnPort(sender.facts, port);
  const rxVtep = vtepOnPort(receiver.facts, port);
  if (txVtep && rxVtep) {
    const problems = compareVtepTables({ sender: sender.facts, senderName: sender.name, receiver: receiver.facts, receiverName: receiver.name, receiverIp: receiver.ip, port });
    const kernel = ofKind(onPort, port, 'vtep-kernel')[0];
    const peerEcho = ofKind(onPort, port, 'vtep-peer')[0];
    if (problems.length > 0) {
      const evidence = problems.map((p) => ev(p.kind, p.message, p.data));
      if (kernel) evidence.push(kernelPathEvidence(kernel, sender, receiver));
      return {
        verdict: 'vtep-mapping',
        reason: problems[0]!.message,
        evidence,
        remedy: { ...base, kind: 'vtep-mapping', problems },
      };
    }
    if (peerEcho && arrived(peerEcho) && peerEcho.replied.length === 0) {
      const back = compareVtepTables({ sender: receiver.facts, senderName: receiver.name, receiver: sender.facts, receiverName: sender.name, receiverIp: sender.ip, port });
      if (back.length === 0) {
        const rules = inputRulesFor(receiver.facts, port);
        const rp = rpFilterOn(receiver.facts, receiver.facts.nic.name);
        return {
          verdict: 'host-drop',
          reason: `${receiver.name} receives VXLAN for its VTEP on ${port} but its kernel never answers`,
          evidence: [
            ev('echo-arrived', `the VTEP echo to ${rxVtep.vtepIp} (VNI ${rxVtep.vni}, inner dst ${rxVtep.mac}) reached ${receiver.name}'s NIC intact`),
            ev('no-reply', `${receiver.name}'s kernel sent no echo reply, and its tables towards ${sender.name} are correct`),
            ...rules.map((r) => ev('firewall-rule', `${r.backend} ${r.table}/${r.chain}: ${r.text}${r.packets !== null ? ` (${r.packets} packets)` : ''}`, { ...r })),
            ...(rp === 1 ? [ev('rp-filter-strict', `${receiver.name} has strict rp_filter (1) on ${receiver.facts.nic.name}: packets from ${sender.ip} are dropped if its route back to them leaves by another device`, { rpFilter: rp })] : []),
          ],
          remedy: { ...base, kind: 'host-drop', rules, rpFilterStrict: rp === 1, forwarding: [], nic: receiver.facts.nic.name },
        };
      }
    }
    // The VTEP answers, but will the host hand the traffic on to its pods?
    if (rxVtep.vtepIp && (!peerEcho || peerEcho.replied.length > 0)) {
      const blocks = forwardingBlocks(receiver.facts, receiver.name, rxVtep.vtepIp);
      if (blocks.length > 0) {
        return {
          verdict: 'host-drop',
          reason: `${receiver.name}'s VTEP answers, but it does not forward overlay traffic to its pods (${blocks[0]!.kind})`,
          evidence: [ev('vtep-answers', `${receiver.name}'s kernel answered the VTEP echo on ${port}`), ...blocks],
          remedy: { ...base, kind: 'host-drop', rules: [], rpFilterStrict: false, forwarding: blocks, nic: receiver.facts.nic.name },
        };
      }
    }
    if (kernel && sent(kernel) && !arrived(kernel) && peerEcho && arrived(peerEcho)) {
      return {
        verdict: 'vtep-mapping',
        reason: `${sender.name}'s own VTEP does not deliver to ${receiver.name} although crafted frames do`,
        evidence: [kernelPathEvidence(kernel, sender, receiver)],
        remedy: { ...base, kind: 'vtep-mapping', problems: [] },
      };
    }
  }

  const evidence = [
    ev('plain-arrived', `plain UDP to ${port}: ${countLine(plain)} arrived`),
    ev('vxlan-arrived', `VXLAN to ${port} (VNI ${[...new Set(passedVnis)].join(', ')}): all arrived`),
  ];
  if (largestOk) evidence.push(ev('mtu-sweep', `outer packets up to ${largestOk} bytes arrive`));
  if (txVtep && rxVtep) evidence.push(ev('vtep-ok', `${sender.name}'s tables match ${receiver.name}'s VTEP ${rxVtep.vtepIp} ${rxVtep.mac}`));
  const badCsum = onPort.flatMap((o) => o.arrived).find((s) => s.udpChecksumOk === false);
  if (badCsum) evidence.push(ev('bad-checksum', `a frame from ${badCsum.srcIp} arrived with a bad UDP checksum (offload?)`));
  return { verdict: 'ok', reason: txVtep && rxVtep ? 'frames and VTEP round trip work' : 'plain and VXLAN frames arrive', evidence, remedy: null };
}

function kernelPathEvidence(kernel: ProbeOutcome, sender: Side, receiver: Side): EvidenceItem {
  const out = kernel.left[0];
  if (!out) {
    return ev('kernel-not-sent', `${sender.name}'s kernel did not send its VTEP echo out of ${sender.facts.nic.name}: it dropped it (no usable neighbor/FDB entry) or sent it elsewhere`);
  }
  if (out.dstIp !== receiver.ip) {
    return ev('kernel-sent-elsewhere', `${sender.name}'s kernel sent the VTEP echo to ${out.dstIp}, not ${receiver.name} (${receiver.ip})`, { dstIp: out.dstIp, realIp: receiver.ip });
  }
  return ev(
    arrived(kernel) ? 'kernel-arrived' : 'kernel-lost',
    `${sender.name}'s kernel sent the VTEP echo to ${out.dstIp} (inner dst ${out.innerDstMac}); ${arrived(kernel) ? 'it arrived' : 'it never arrived'}`,
    { dstIp: out.dstIp, innerDstMac: out.innerDstMac },
  );
}
