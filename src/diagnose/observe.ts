// Groups a run's sightings by probe: what arrived, what the receiver's kernel
// answered, what ICMP came back. The classifier reads only these summaries.
import type { Direction, ProbeKind, ProbeSpec } from './plan-types.js';
import type { IcmpSighting, RunRecord, Sighting } from './types.js';

export interface ProbeOutcome {
  probe: ProbeSpec;
  /** Requests seen arriving on the receiver's NIC. */
  arrived: Sighting[];
  /** Requests seen leaving the sender's NIC (where the sender really sent them). */
  left: Sighting[];
  /** Echo replies the receiver's kernel emitted (vtep kinds). */
  replied: Sighting[];
  /** Echo replies that made it back to the sender's NIC. */
  returned: Sighting[];
  icmp: IcmpSighting[];
  notSent: string | null;
}

export function outcomesFor(record: RunRecord, direction: Direction): ProbeOutcome[] {
  const byId = new Map<number, ProbeOutcome>();
  for (const probe of record.plan.probes) {
    if (probe.direction !== direction) continue;
    byId.set(probe.probeId, { probe, arrived: [], left: [], replied: [], returned: [], icmp: [], notSent: null });
  }
  for (const s of record.sightings) {
    const o = byId.get(s.probeId);
    if (!o) continue;
    const reply = s.inner === 'echo-reply';
    if (!reply && s.at === 'receiver' && s.dir === 'in') o.arrived.push(s);
    else if (!reply && s.at === 'sender' && s.dir === 'out') o.left.push(s);
    else if (reply && s.at === 'receiver' && s.dir === 'out') o.replied.push(s);
    else if (reply && s.at === 'sender' && s.dir === 'in') o.returned.push(s);
  }
  for (const i of record.icmp) byId.get(i.probeId)?.icmp.push(i);
  for (const n of record.notSent) {
    const o = byId.get(n.probeId);
    if (o) o.notSent = n.reason;
  }
  return [...byId.values()];
}

export function ofKind(outcomes: ProbeOutcome[], port: number | null, ...kinds: ProbeKind[]): ProbeOutcome[] {
  return outcomes.filter((o) => kinds.includes(o.probe.kind) && (port === null || o.probe.port === port));
}

export const arrived = (o: ProbeOutcome): boolean => o.arrived.length > 0;
export const sent = (o: ProbeOutcome): boolean => o.notSent === null;

/** ICMP errors that mean "a filter said no" (admin/host/net prohibited) or a port unreachable from a hop. */
export function rejections(outcomes: ProbeOutcome[], receiverAddrs: Set<string>): IcmpSighting[] {
  const out: IcmpSighting[] = [];
  for (const o of outcomes) {
    for (const i of o.icmp) {
      if (i.type !== 3) continue;
      const prohibited = i.code === 9 || i.code === 10 || i.code === 13;
      // A port unreachable from the receiver itself means the frame arrived.
      const fromHop = !receiverAddrs.has(i.from) && (i.code === 3 || i.code === 1 || i.code === 0);
      if (prohibited || fromHop) out.push(i);
    }
  }
  return out;
}

export function icmpName(i: IcmpSighting): string {
  if (i.type === 3) {
    const codes: Record<number, string> = {
      0: 'net unreachable',
      1: 'host unreachable',
      3: 'port unreachable',
      4: 'fragmentation needed',
      9: 'net prohibited',
      10: 'host prohibited',
      13: 'admin prohibited',
    };
    return `ICMP ${codes[i.code] ?? `unreachable code ${i.code}`}`;
  }
  if (i.type === 11) return 'ICMP time exceeded';
  return `ICMP type ${i.type} code ${i.code}`;
}
