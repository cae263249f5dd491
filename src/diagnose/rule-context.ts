// What every verdict rule reads: one (port, direction) of a run, with the
// probe outcomes sorted by kind. Built once per cell by classify.ts.
import type { HostFacts } from '../host/types.js';
import type { VtepView } from '../overlay/vtep.js';
import { arrived, ofKind, rejections, sent, type ProbeOutcome } from './observe.js';
import type { Direction } from './plan-types.js';
import type { RemedyContext } from './remedy.js';
import type { EvidenceItem, IcmpSighting, RunRecord, Verdict } from './types.js';
import { vtepOnPort } from '../overlay/vtep.js';

export interface Side {
  name: string;
  facts: HostFacts;
  ip: string;
}

export interface Decision {
  verdict: Verdict;
  reason: string;
  evidence: EvidenceItem[];
  remedy: RemedyContext | null;
}

export interface RuleContext {
  record: RunRecord;
  direction: Direction;
  port: number;
  sender: Side;
  receiver: Side;
  /** Fields every remedy carries. */
  base: { port: number; sender: string; receiver: string; receiverNode: string; senderIp: string; receiverIp: string };
  /** Every probe of this direction that was sent, any port. */
  sentAll: ProbeOutcome[];
  /** Probes to this port (baseline excluded). */
  onPort: ProbeOutcome[];
  plain: ProbeOutcome[];
  vx: ProbeOutcome[];
  vxOther: ProbeOutcome[];
  /** ICMP errors about this port's probes from anyone but the receiver. */
  rejects: IcmpSighting[];
  receiverAddrs: Set<string>;
  txVtep: VtepView | null;
  rxVtep: VtepView | null;
}

/**
 * One verdict rule: a Decision when its fault is shown, else null (the next
 * rule is asked). docs/architecture.md, "Verdicts", lists them in order.
 */
export type Rule = (ctx: RuleContext) => Decision | null;

export const ev = (kind: string, message: string, data?: Record<string, unknown>): EvidenceItem =>
  data ? { kind, message, data } : { kind, message };

export function countLine(outs: ProbeOutcome[]): string {
  return `${outs.filter(arrived).length}/${outs.length}`;
}

export function ruleContext(record: RunRecord, direction: Direction, port: number, sender: Side, receiver: Side, all: ProbeOutcome[]): RuleContext {
  const sentAll = all.filter(sent);
  const onPort = sentAll.filter((o) => o.probe.port === port && o.probe.kind !== 'baseline');
  const receiverAddrs = new Set([receiver.ip, ...receiver.facts.addresses.map((a) => a.address)]);
  return {
    record,
    direction,
    port,
    sender,
    receiver,
    base: { port, sender: sender.name, receiver: receiver.name, receiverNode: receiver.facts.hostname, senderIp: sender.ip, receiverIp: receiver.ip },
    sentAll,
    onPort,
    plain: ofKind(onPort, port, 'plain'),
    vx: ofKind(onPort, port, 'vxlan'),
    vxOther: ofKind(onPort, port, 'vxlan-other-vni'),
    rejects: rejections(onPort, receiverAddrs),
    receiverAddrs,
    txVtep: vtepOnPort(sender.facts, port),
    rxVtep: vtepOnPort(receiver.facts, port),
  };
}
