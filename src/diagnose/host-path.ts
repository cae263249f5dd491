// What the receiving host itself does to overlay traffic after its VTEP
// decapsulated it, in pair's evidence vocabulary. The questions and their
// answers come from the rule layer (src/overlay/host-path.ts); this file only
// maps them to evidence items. Pure.
import type { HostFacts, LinkInfo } from '../host/types.js';
import { describeStep, type FirewallAnswer, type FwStep } from '../overlay/firewall-eval.js';
import { effectiveRpFilter, podForwardAnswer, vxlanInputAnswer } from '../overlay/host-path.js';
import type { EvidenceItem } from './types.js';

export interface Block {
  evidence: EvidenceItem;
  /** What to change (rule layer remedy inputs). */
  cause: { kind: 'ip-forward-off' } | { kind: 'forward-drop'; step: FwStep } | { kind: 'input-drop'; step: FwStep } | { kind: 'rp-filter-strict'; device: string };
}

function stepData(s: FwStep): Record<string, unknown> {
  return { backend: s.backend, family: s.family, table: s.table, chain: s.chain, rule: s.rule?.text ?? null, policy: s.policy, packets: s.rule?.packets ?? null };
}

/** Evidence that the firewall could not decide, naming what it could not evaluate. */
export function undecidedEvidence(name: string, what: string, a: FirewallAnswer): EvidenceItem[] {
  if (a.verdict !== 'unknown' && a.undecided.length === 0) return [];
  return [{ kind: 'firewall-undecided', message: `${name}'s firewall ${what}: cannot tell; it depends on ${a.undecided.slice(0, 3).join('; ')}`, data: { undecided: a.undecided.slice(0, 10) } }];
}

/**
 * Reasons the receiving host will not hand decapsulated traffic on to its
 * pods although its VTEP answers: ip_forward off, or a FORWARD rule or policy
 * that certainly drops pod traffic from the peer's pod network.
 */
export function forwardingBlocks(facts: HostFacts, name: string, overlay: LinkInfo): Block[] {
  const out: Block[] = [];
  if (!facts.sysctls.ipForward) {
    out.push({
      evidence: { kind: 'ip-forward-off', message: `${name} has net.ipv4.ip_forward=0: it decapsulates overlay frames but never forwards them to pods`, data: { sysctl: 'net.ipv4.ip_forward', value: 0 } },
      cause: { kind: 'ip-forward-off' },
    });
  }
  const a = podForwardAnswer(facts, overlay);
  if (a.verdict === 'drop' && a.by) {
    out.push({
      evidence: { kind: a.by.rule ? 'forward-rule' : 'forward-policy', message: `${name} drops forwarded pod traffic: ${describeStep(a.by)}`, data: stepData(a.by) },
      cause: { kind: 'forward-drop', step: a.by },
    });
  }
  return out;
}

/** Why the receiving host may drop VXLAN to its VTEP: an INPUT rule or policy, strict rp_filter. */
export function inputBlocks(facts: HostFacts, name: string, senderIp: string, localIp: string, port: number): { blocks: Block[]; evidence: EvidenceItem[] } {
  const blocks: Block[] = [];
  const a = vxlanInputAnswer(facts, senderIp, localIp, port);
  if (a.verdict === 'drop' && a.by) {
    blocks.push({
      evidence: { kind: a.by.rule ? 'firewall-rule' : 'firewall-policy', message: `${name} drops udp/${port} from ${senderIp}: ${describeStep(a.by)}`, data: stepData(a.by) },
      cause: { kind: 'input-drop', step: a.by },
    });
  }
  const nic = facts.nic.name;
  if (effectiveRpFilter(facts, nic) === 1) {
    blocks.push({
      evidence: { kind: 'rp-filter-strict', message: `${name} has strict rp_filter (1) on ${nic}: packets from ${senderIp} are dropped if its route back to them leaves by another device`, data: { rpFilter: 1 } },
      cause: { kind: 'rp-filter-strict', device: nic },
    });
  }
  return { blocks, evidence: undecidedEvidence(name, `on udp/${port} from ${senderIp}`, a) };
}
