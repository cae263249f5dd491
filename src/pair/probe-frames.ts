// Turns a ProbeSpec into the bytes one side sends. Each side builds its own
// frames from specs and its own facts; the peer's address always comes from
// the session (never from a message), so a peer can't aim our probes elsewhere.
import type { HostTables } from '../host/types.js';
import { buildFrame, type FrameSpec } from '../wire/frame.js';
import { probePayload } from './probe-auth.js';
import type { ProbeSpec } from './plan-types.js';
import { vtepOnPort } from '../overlay/vtep.js';
import { podForwardTarget } from './pod-forward.js';

/** A node's VTEP as the other side needs it to craft echoes. */
export interface VtepEndpoint {
  port: number;
  vni: number;
  ip: string;
  mac: string;
}

export interface SendContext {
  runId: number;
  /** Our underlay address and MAC (the NIC's), and the next hop's MAC towards the peer. */
  srcIp: string;
  srcMac: string;
  nextHopMac: string;
  /** The peer's underlay address: the only outer destination we ever use. */
  peerIp: string;
  /** Our own kernel state (for vtep-own) and VTEPs. */
  facts: HostTables;
  /** The peer's VTEPs, from its facts. */
  peerVteps: VtepEndpoint[];
  /** The run's probe key: every probe carries a tag made with it (probe-auth.ts). */
  probeKey: Buffer;
}

export type BuiltProbe =
  | { path: 'wire'; frame: Buffer }
  | { path: 'routed'; packet: Buffer }
  | { path: 'none'; reason: string };

/** Source port of our probes: fixed per run so captures are easy to filter by hand. */
export function probeSourcePort(runId: number): number {
  return 49152 + (runId % 16384);
}

// Inner frames of the non-VTEP VXLAN probes go to nobody: a locally administered
// MAC and TEST-NET addresses, so a receiving VTEP drops them harmlessly.
const NOBODY_MAC = '02:56:58:50:00:01';
const PROBE_MAC = '02:56:58:50:00:02';
const INNER_SRC = '198.18.0.1';
const INNER_DST = '198.18.0.2';

/**
 * Outer IPv4 length of the crafted VTEP probes (echoes and pod-forward): one
 * per run, so the receiving kernel's drop trace can tell this run's frames
 * from look-alikes of other runs (docs/kernel-drop-reasons.md). Well above
 * their natural length, far below any overlay MTU.
 */
export function vtepProbeLength(runId: number): number {
  return 160 + (runId % 256);
}

export function vtepEndpoints(facts: HostTables, ports: number[]): VtepEndpoint[] {
  const out: VtepEndpoint[] = [];
  for (const port of ports) {
    const v = vtepOnPort(facts, port);
    if (v && v.vtepIp && v.mac) out.push({ port, vni: v.vni, ip: v.vtepIp, mac: v.mac });
  }
  return out;
}

export function buildProbe(spec: ProbeSpec, seq: number, ctx: SendContext): BuiltProbe {
  const payload = probePayload(ctx.probeKey, { runId: ctx.runId, probeId: spec.probeId, seq });
  const outer: FrameSpec = {
    srcMac: ctx.srcMac,
    dstMac: ctx.nextHopMac,
    srcIp: ctx.srcIp,
    dstIp: ctx.peerIp,
    srcPort: probeSourcePort(ctx.runId),
    dstPort: spec.port,
    payload,
  };
  const nobody = { srcMac: PROBE_MAC, dstMac: NOBODY_MAC, srcIp: INNER_SRC, dstIp: INNER_DST, protocol: 'udp' as const };
  switch (spec.kind) {
    case 'plain':
    case 'baseline':
      return { path: 'wire', frame: buildFrame(outer) };
    case 'vxlan':
    case 'vxlan-other-vni':
      return { path: 'wire', frame: buildFrame({ ...outer, vxlan: { vni: spec.vni! }, inner: nobody }) };
    case 'vxlan-size':
      return { path: 'wire', frame: buildFrame({ ...outer, vxlan: { vni: spec.vni! }, inner: nobody, padTo: spec.size! }) };
    case 'vtep-peer': {
      const own = ctx.facts && vtepOnPort(ctx.facts, spec.port);
      const peer = ctx.peerVteps.find((v) => v.port === spec.port);
      if (!own?.vtepIp || !own.mac || !peer) return { path: 'none', reason: `no VTEP on udp/${spec.port} at both ends` };
      return {
        path: 'wire',
        frame: buildFrame({
          ...outer,
          vxlan: { vni: peer.vni },
          inner: { srcMac: own.mac, dstMac: peer.mac, srcIp: own.vtepIp, dstIp: peer.ip, protocol: 'icmp', icmpId: spec.probeId & 0xffff, icmpSeq: seq & 0xffff },
          padTo: vtepProbeLength(ctx.runId),
        }),
      };
    }
    case 'vtep-own':
      return buildFromOwnTables(spec, seq, ctx, outer);
    case 'pod-forward': {
      const own = ctx.facts && vtepOnPort(ctx.facts, spec.port);
      const peer = ctx.peerVteps.find((v) => v.port === spec.port);
      if (!own?.vtepIp || !own.mac || !peer) return { path: 'none', reason: `no VTEP on udp/${spec.port} at both ends` };
      const target = podForwardTarget(ctx.facts.routes, peer.ip);
      if (!target) return { path: 'none', reason: `no route sends a pod network via ${peer.ip}` };
      return {
        path: 'wire',
        frame: buildFrame({
          ...outer,
          vxlan: { vni: peer.vni },
          inner: { srcMac: own.mac, dstMac: peer.mac, srcIp: own.vtepIp, dstIp: target, ttl: 1, protocol: 'icmp', icmpId: spec.probeId & 0xffff, icmpSeq: seq & 0xffff },
          padTo: vtepProbeLength(ctx.runId),
        }),
      };
    }
    case 'vtep-kernel': {
      const own = vtepOnPort(ctx.facts, spec.port);
      const peer = ctx.peerVteps.find((v) => v.port === spec.port);
      if (!own?.vtepIp || !peer) return { path: 'none', reason: `no VTEP on udp/${spec.port} at both ends` };
      // The peer names its VTEP address; we only echo to it when our own tables
      // send that address into our VXLAN device, so a peer can never make us
      // send a routed packet anywhere else.
      const dev = own.device.ifindex;
      const overlayBound =
        ctx.facts.routes.some((r) => r.gateway === peer.ip && r.ifindex === dev) ||
        ctx.facts.neighbors.some((n) => n.ip === peer.ip && n.ifindex === dev);
      if (!overlayBound) return { path: 'none', reason: `no route or neighbor entry sends ${peer.ip} into ${own.device.name}` };
      // An ICMP echo to the peer's VTEP address: our kernel routes it into its
      // own VXLAN device, which encapsulates it exactly as it would pod traffic.
      return {
        path: 'routed',
        packet: buildFrame({ layer: 'ipv4', srcIp: own.vtepIp, dstIp: peer.ip, icmp: { type: 8, id: spec.probeId & 0xffff, seq: seq & 0xffff }, payload }),
      };
    }
  }
}

/** What our kernel would send to the peer's VTEP, per our route/neigh/FDB. */
function buildFromOwnTables(spec: ProbeSpec, seq: number, ctx: SendContext, outer: FrameSpec): BuiltProbe {
  const own = vtepOnPort(ctx.facts, spec.port);
  const peer = ctx.peerVteps.find((v) => v.port === spec.port);
  if (!own?.vtepIp || !own.mac || !peer) return { path: 'none', reason: `no VTEP on udp/${spec.port} at both ends` };
  const dev = own.device.ifindex;
  const neigh = ctx.facts.neighbors.find((n) => n.ifindex === dev && n.ip === peer.ip);
  if (!neigh?.mac) return { path: 'none', reason: `no neighbor entry for ${peer.ip} on ${own.device.name}` };
  const fdb = ctx.facts.fdb.find((f) => f.ifindex === dev && f.mac === neigh.mac);
  if (!fdb?.dst) return { path: 'none', reason: `no FDB entry for ${neigh.mac} on ${own.device.name}` };
  if (fdb.dst !== ctx.peerIp) {
    return { path: 'none', reason: `own FDB sends ${neigh.mac} to ${fdb.dst}, not the peer ${ctx.peerIp}: not sent there` };
  }
  const payload = probePayload(ctx.probeKey, { runId: ctx.runId, probeId: spec.probeId, seq });
  return {
    path: 'wire',
    frame: buildFrame({
      ...outer,
      dstPort: fdb.port ?? spec.port,
      payload,
      vxlan: { vni: fdb.vni ?? own.vni },
      inner: { srcMac: own.mac, dstMac: neigh.mac, srcIp: own.vtepIp, dstIp: peer.ip, protocol: 'icmp', icmpId: spec.probeId & 0xffff, icmpSeq: seq & 0xffff },
      padTo: vtepProbeLength(ctx.runId),
    }),
  };
}
