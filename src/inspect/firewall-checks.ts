// The host firewall, in inspect's vocabulary: the rule layer walks the real
// chains (src/overlay/firewall-eval.ts) for "is VXLAN from each peer
// accepted on INPUT?" and "is pod traffic from the peers' pod networks
// forwarded?"; this file maps the answers to findings. A walk that depends
// on matches nobody can evaluate is reported as such (info), never as a fault.
import type { FirewallAnswer, FwStep } from '../overlay/firewall-eval.js';
import { describeStep } from '../overlay/firewall-eval.js';
import { forwardDropRemedy, inputDropRemedy, podForwardAnswer, podNetworkText, vxlanInputAnswer } from '../overlay/host-path.js';
import type { Check, EvidenceValue, Finding, InspectContext } from './types.js';

/** Enough peers to meet any per-source rule; the rest ask the same question again. */
const MAX_PEERS_ASKED = 64;

function stepEvidence(s: FwStep): Record<string, EvidenceValue> {
  return { backend: s.backend, table: `${s.family} ${s.table}`, chain: s.chain, rule: s.rule?.text ?? null, policy: s.policy, packets: s.rule?.packets ?? null };
}

function undecided(ctx: InspectContext, what: string, a: FirewallAnswer): Finding {
  return {
    id: 'firewall-undecided',
    severity: 'info',
    node: ctx.selfLabel,
    message: `the firewall's verdict on ${what} depends on matches vxprobe cannot evaluate: ${a.undecided.slice(0, 3).join('; ')}`,
    evidence: { undecided: a.undecided.slice(0, 10) },
    remedy: 'check these rules by hand (nft list ruleset / iptables-save): they are not blamed without proof',
  };
}

function peerSources(ctx: InspectContext): string[] {
  const ips = (ctx.cluster ?? []).filter((n) => n.name !== ctx.self && n.publicIp !== null).map((n) => n.publicIp!);
  return [...new Set(ips)].slice(0, MAX_PEERS_ASKED);
}

export const checkFirewall: Check = (ctx) => {
  const fw = ctx.facts.firewall;
  if (fw.unavailable) {
    return [{ id: 'firewall-unreadable', severity: 'info', node: ctx.selfLabel, message: `firewall rules not checked: ${fw.unavailable}`, evidence: { reason: fw.unavailable }, remedy: 'install nftables/iptables or run as root to include them' }];
  }
  const overlay = ctx.overlay;
  if (!overlay?.vxlan) return [];
  const out: Finding[] = [];
  if (fw.gaps.length > 0) {
    out.push({ id: 'firewall-unreadable', severity: 'info', node: ctx.selfLabel, message: `part of the firewall was not read: ${fw.gaps.slice(0, 3).join('; ')}`, evidence: { gaps: fw.gaps.slice(0, 10) }, remedy: 'run inspect as root with nft and iptables installed to include it' });
  }
  const dev = overlay.name;

  const fwd = podForwardAnswer(ctx.facts, overlay);
  if (fwd.verdict === 'drop' && fwd.by) {
    const net = podNetworkText(ctx.facts, overlay);
    out.push({
      id: fwd.by.rule ? 'forward-rule-blocks-pods' : 'forward-policy-drop',
      severity: 'error',
      node: ctx.selfLabel,
      message: `pod traffic from other nodes (${net}) arriving on ${dev} is not forwarded to this node's pods: ${describeStep(fwd.by)}`,
      evidence: stepEvidence(fwd.by),
      remedy: forwardDropRemedy(fwd.by, net),
    });
  } else if (fwd.verdict === 'unknown') {
    out.push(undecided(ctx, `pod traffic arriving on ${dev}`, fwd));
  }

  const port = overlay.vxlan.port;
  const localIp = overlay.vxlan.local ?? ctx.facts.nic.addresses[0] ?? null;
  if (localIp === null) return out;
  const sources = peerSources(ctx);
  let unsure: FirewallAnswer | null = null;
  for (const src of sources.length > 0 ? sources : [null]) {
    const a = vxlanInputAnswer(ctx.facts, src, localIp, port);
    if (a.verdict === 'drop' && a.by) {
      out.push({
        id: a.by.rule ? 'input-rule-blocks-vxlan' : 'input-policy-drop',
        severity: 'error',
        node: ctx.selfLabel,
        message: `VXLAN to udp/${port}${src ? ` from ${src}` : ''} is dropped before ${dev}: ${describeStep(a.by)}`,
        evidence: { ...stepEvidence(a.by), port, source: src },
        remedy: inputDropRemedy(a.by, port),
      });
      return out;
    }
    if (a.verdict === 'unknown') unsure ??= a;
  }
  if (unsure) out.push(undecided(ctx, `VXLAN to udp/${port}`, unsure));
  return out;
};
