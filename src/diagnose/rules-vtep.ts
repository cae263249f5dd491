// Verdict rules where both nodes run a VTEP on the port: the sender's tables
// against the receiver's real VTEP, then what the receiving host does with
// traffic its VTEP gets (the rule layer's questions, src/overlay/).
import type { HostFacts, LinkInfo } from '../host/types.js';
import { forwardDropRemedy, inputDropRemedy, IP_FORWARD_REMEDY, podForwardAnswer, podNetworkText, rpFilterRemedy } from '../overlay/host-path.js';
import { forwardingBlocks, inputBlocks, undecidedEvidence, type Block } from './host-path.js';
import { arrived, ofKind, sent, type ProbeOutcome } from './observe.js';
import { countLine, ev, type Decision, type Rule, type RuleContext, type Side } from './rule-context.js';
import type { EvidenceItem } from './types.js';
import { compareVtepTables } from './vtep-tables.js';
import { forwardingDropEvidence, kernelDropEvidence } from './drop-reasons.js';

const kernelEcho = (c: RuleContext) => ofKind(c.onPort, c.port, 'vtep-kernel')[0];
const peerEcho = (c: RuleContext) => ofKind(c.onPort, c.port, 'vtep-peer')[0];

/** 6. The sender's route/neighbor/FDB entries (or VNI) disagree with the receiver's real VTEP. */
export const vtepTables: Rule = (c) => {
  if (!c.txVtep || !c.rxVtep) return null;
  const problems = compareVtepTables({ sender: c.sender.facts, senderName: c.sender.name, receiver: c.receiver.facts, receiverName: c.receiver.name, receiverIp: c.receiver.ip, port: c.port });
  if (problems.length === 0) return null;
  const evidence = problems.map((p) => ev(p.kind, p.message, p.data));
  const kernel = kernelEcho(c);
  if (kernel) evidence.push(kernelPathEvidence(kernel, c.sender, c.receiver));
  return { verdict: 'vtep-mapping', reason: problems[0]!.message, evidence, remedy: { ...c.base, kind: 'vtep-mapping', problems } };
};

/** 7a. The receiver gets the crafted echo intact but never answers, its own tables being right. */
export const echoUnanswered: Rule = (c) => {
  const { sender, receiver, rxVtep, port } = c;
  const echo = peerEcho(c);
  if (!c.txVtep || !rxVtep || !echo || !arrived(echo) || echo.replied.length > 0) return null;
  const back = compareVtepTables({ sender: receiver.facts, senderName: receiver.name, receiver: sender.facts, receiverName: sender.name, receiverIp: sender.ip, port });
  if (back.length > 0) return null;
  const { blocks, evidence: unsure } = inputBlocks(receiver.facts, receiver.name, sender.ip, receiver.ip, port);
  return {
    verdict: 'host-drop',
    reason: `${receiver.name} receives VXLAN for its VTEP on ${port} but its kernel never answers`,
    evidence: [
      ev('echo-arrived', `the VTEP echo to ${rxVtep.vtepIp} (VNI ${rxVtep.vni}, inner dst ${rxVtep.mac}) reached ${receiver.name}'s NIC intact`),
      ev('no-reply', `${receiver.name}'s kernel sent no echo reply, and its tables towards ${sender.name} are correct`),
      ...blocks.map((b) => b.evidence),
      // The receiver's own kernel's word comes right after the rule that matched.
      ...kernelDropEvidence(c.record, c.direction, receiver.name, ofKind(c.onPort, port, 'vtep-peer', 'vtep-own')),
      ...unsure,
    ],
    remedy: { ...c.base, kind: 'host-drop', fixes: fixesFor(receiver.facts, rxVtep.device, blocks, port), nic: receiver.facts.nic.name },
  };
};

/** 7b. The VTEP answers, but the host does not hand the traffic on to its pods. */
export const notForwarded: Rule = (c) => {
  const { receiver, rxVtep, port } = c;
  const echo = peerEcho(c);
  if (!c.txVtep || !rxVtep?.vtepIp || (echo && echo.replied.length === 0)) return null;
  const blocks = forwardingBlocks(receiver.facts, receiver.name, rxVtep.device);
  if (blocks.length === 0) return null;
  return {
    verdict: 'host-drop',
    reason: `${receiver.name}'s VTEP answers, but it does not forward overlay traffic to its pods (${blocks[0]!.evidence.kind})`,
    evidence: [
      ev('vtep-answers', `${receiver.name}'s kernel answered the VTEP echo on ${port}`),
      ...blocks.map((b) => b.evidence),
      ...forwardingDropEvidence(c.record, c.direction, receiver.name, ofKind(c.onPort, port, 'pod-forward')),
    ],
    remedy: { ...c.base, kind: 'host-drop', fixes: fixesFor(receiver.facts, rxVtep.device, blocks, port), nic: receiver.facts.nic.name },
  };
};

/** 6b. Crafted echoes arrive, the sender kernel's own does not: its tables mislead it in a way the facts do not show. */
export const kernelPathLost: Rule = (c) => {
  const kernel = kernelEcho(c);
  const echo = peerEcho(c);
  if (!c.txVtep || !c.rxVtep || !kernel || !sent(kernel) || arrived(kernel) || !echo || !arrived(echo)) return null;
  return {
    verdict: 'vtep-mapping',
    reason: `${c.sender.name}'s own VTEP does not deliver to ${c.receiver.name} although crafted frames do`,
    evidence: [kernelPathEvidence(kernel, c.sender, c.receiver)],
    remedy: { ...c.base, kind: 'vtep-mapping', problems: [] },
  };
};

/** 8. Nothing failed: what arrived, and what could not be evaluated. */
export function okDecision(c: RuleContext): Decision {
  const { port, plain, vx, vxOther, onPort, txVtep, rxVtep, sender, receiver } = c;
  const passedVnis = [...new Set([...vx, ...vxOther].filter(arrived).map((o) => o.probe.vni!))];
  const largestOk = ofKind(onPort, port, 'vxlan-size').filter(arrived).map((o) => o.probe.size!).sort((a, b) => a - b).at(-1) ?? null;
  const evidence = [
    ev('plain-arrived', `plain UDP to ${port}: ${countLine(plain)} arrived`),
    ev('vxlan-arrived', `VXLAN to ${port} (VNI ${passedVnis.join(', ')}): all arrived`),
  ];
  if (largestOk) evidence.push(ev('mtu-sweep', `outer packets up to ${largestOk} bytes arrive`));
  if (txVtep && rxVtep) {
    evidence.push(ev('vtep-ok', `${sender.name}'s tables match ${receiver.name}'s VTEP ${rxVtep.vtepIp} ${rxVtep.mac}`));
    // Not blamed, but said: rules on the pod path vxprobe could not evaluate.
    evidence.push(...undecidedEvidence(receiver.name, `on pod traffic arriving on ${rxVtep.device.name}`, podForwardAnswer(receiver.facts, rxVtep.device)));
  }
  const badCsum = onPort.flatMap((o) => o.arrived).find((s) => s.udpChecksumOk === false);
  if (badCsum) evidence.push(ev('bad-checksum', `a frame from ${badCsum.srcIp} arrived with a bad UDP checksum (offload?)`));
  return { verdict: 'ok', reason: txVtep && rxVtep ? 'frames and VTEP round trip work' : 'plain and VXLAN frames arrive', evidence, remedy: null };
}

/** The rule layer's one remedy per cause found on the receiving host. */
function fixesFor(facts: HostFacts, overlay: LinkInfo, blocks: Block[], port: number): string[] {
  return blocks.map(({ cause }) => {
    switch (cause.kind) {
      case 'ip-forward-off':
        return IP_FORWARD_REMEDY;
      case 'forward-drop':
        return forwardDropRemedy(cause.step, podNetworkText(facts, overlay));
      case 'input-drop':
        return inputDropRemedy(cause.step, port);
      case 'rp-filter-strict':
        return rpFilterRemedy(facts, cause.device);
    }
  });
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
