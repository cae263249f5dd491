// Evidence -> one verdict per (port, direction). Pure: a RunRecord in,
// PortResults out. The rules run in order from the first hop outwards (does
// anything arrive, does this port, does VXLAN, is the port the VTEP's, does
// size, do the VTEP tables, does the receiving host) and the first that
// shows its fault decides; a failure explained by the other direction is not
// blamed on this one. The verdict table and this order: docs/architecture.md,
// "Verdicts".
import { outcomesFor } from './observe.js';
import { remedyFor, type RemedyContext } from './remedy.js';
import { ruleContext, type Decision, type Rule, type Side } from './rule-context.js';
import { mtuBlackHole, plainFiltered, portConflict, portFiltered, unreachable, vxlanHijacked } from './rules-path.js';
import { echoUnanswered, kernelPathLost, notForwarded, okDecision, vtepTables } from './rules-vtep.js';
import { captureOverflowEvidence, lossEvidence } from './loss-evidence.js';
import type { EvidenceItem, PortResult, RunRecord } from './types.js';

/** The verdict rules in the order they are asked; the position of a rule is part of its meaning. */
export const RULES: readonly Rule[] = [
  unreachable,
  portFiltered,
  vxlanHijacked,
  plainFiltered,
  portConflict,
  mtuBlackHole,
  vtepTables,
  echoUnanswered,
  notForwarded,
  kernelPathLost,
];

// How missing probes were called lost (the RTT-derived deadline) is evidence
// beside whichever rule decided; it never decides a verdict itself.
const withLossEvidence = (evidence: EvidenceItem[], ...extra: (EvidenceItem | null)[]): EvidenceItem[] => [
  ...evidence,
  ...extra.filter((e): e is EvidenceItem => e !== null),
];

export function classify(record: RunRecord): PortResult[] {
  // Cloned VMs and labs often share a hostname: then every message says `name (ip)`,
  // so a report never reads "vm -> vm".
  const same = record.local.hostname === record.peer.hostname;
  const label = (name: string, ip: string) => (same ? `${name} (${ip})` : name);
  const local: Side = { name: label(record.local.hostname, record.localIp), facts: record.local, ip: record.localIp };
  const peer: Side = { name: label(record.peer.hostname, record.peerIp), facts: record.peer, ip: record.peerIp };
  const decided: { result: PortResult; remedy: RemedyContext | null }[] = [];
  for (const direction of ['forward', 'reverse'] as const) {
    const [sender, receiver] = direction === 'forward' ? [local, peer] : [peer, local];
    const outcomes = outcomesFor(record, direction);
    for (const port of record.plan.ports) {
      const ctx = ruleContext(record, direction, port, sender, receiver, outcomes);
      const d: Decision = RULES.reduce<Decision | null>((found, rule) => found ?? rule(ctx), null) ?? okDecision(ctx);
      const result: PortResult = {
        port,
        direction,
        from: sender.name,
        to: receiver.name,
        verdict: d.verdict,
        reason: d.reason,
        evidence: withLossEvidence(d.evidence, lossEvidence(record, direction, port), captureOverflowEvidence(record, direction, port, receiver.name)),
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
