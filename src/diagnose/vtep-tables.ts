// A sender's kernel tables against the receiver's real VTEP, in pair's
// vocabulary. The invariants themselves (route/neighbor/FDB) and their
// remedies live in the rule layer (src/overlay/vtep-tables.ts); this adds
// what only a two-sided run can see: a VNI mismatch between the devices and
// a receiver VTEP without an address. Pure: facts in, problems out.
import type { HostFacts } from '../host/types.js';
import { checkPeerTables, indexTables, type TableFaultKind } from '../overlay/vtep-tables.js';
import { vtepOnPort } from '../overlay/vtep.js';

export type MappingProblemKind = 'vni-mismatch' | 'no-vtep-address' | TableFaultKind;

export interface MappingProblem {
  kind: MappingProblemKind;
  message: string;
  /** The command that repairs this entry on the sender by hand (the rule layer's remedy). */
  fix: string | null;
  data: Record<string, unknown>;
}

export interface MappingContext {
  sender: HostFacts;
  senderName: string;
  receiver: HostFacts;
  receiverName: string;
  /** The receiver's underlay address the overlay should send to. */
  receiverIp: string;
  port: number;
}

/** Everything in the sender's tables that disagrees with the receiver's real VTEP. */
export function compareVtepTables(ctx: MappingContext): MappingProblem[] {
  const tx = vtepOnPort(ctx.sender, ctx.port);
  const rx = vtepOnPort(ctx.receiver, ctx.port);
  if (!tx || !rx) return [];
  const problems: MappingProblem[] = [];
  const s = ctx.senderName;
  const r = ctx.receiverName;
  if (tx.vni !== rx.vni) {
    problems.push({
      kind: 'vni-mismatch',
      message: `${s}'s ${tx.device.name} uses VNI ${tx.vni} but ${r}'s ${rx.device.name} uses VNI ${rx.vni}`,
      fix: null,
      data: { senderVni: tx.vni, receiverVni: rx.vni },
    });
  }
  if (!rx.vtepIp || !rx.mac) {
    problems.push({
      kind: 'no-vtep-address',
      message: `${r}'s ${rx.device.name} has no IPv4 address (flannel gives it x.y.z.0/32)`,
      fix: null,
      data: { device: rx.device.name },
    });
    return problems;
  }
  // Where the receiver's VTEP really listens: the probed address, or the local
  // address its device is bound to. Another address of the receiver (Vagrant's
  // NAT 10.0.2.15 on eth0, a public NAT IP) is no substitute: peers can't reach it.
  const publicIps = [ctx.receiverIp, ...(rx.device.vxlan?.local && rx.device.vxlan.local !== ctx.receiverIp ? [rx.device.vxlan.local] : [])];
  const faults = checkPeerTables(indexTables(ctx.sender, s, tx.device), {
    name: r,
    vtepIp: rx.vtepIp,
    mac: rx.mac,
    publicIps,
    podCidr: null,
    macLabel: `${r}'s ${rx.device.name} MAC`,
    addresses: ctx.receiver.addresses,
  });
  for (const f of faults) problems.push({ kind: f.kind, message: f.message, fix: f.remedy, data: f.data });
  return problems;
}
