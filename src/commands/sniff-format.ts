// How `vxprobe sniff` prints a captured frame: one human line, or one JSON
// object with stable field names.
//
// JSON line (all keys always present; null when the layer is absent):
//   time        ms since the epoch (kernel timestamp, fractional)
//   direction   "in" | "out"
//   length      frame length on the wire
//   src, dst    outer IPv4 addresses
//   srcMac, dstMac, vlan   outer Ethernet (vlan: id or null)
//   ttl, tos    outer IPv4
//   ipChecksum  "ok" | "bad"
//   proto       "udp" | "icmp" | number (other IP protocol)
//   srcPort, dstPort       outer UDP ports
//   udpChecksum "ok" | "bad" | "zero" (none sent) | "offload" (left to the NIC, not yet in the bytes)
//   icmp        {type, code} for outer ICMP
//   vxlan       {flags, vni, valid}
//   inner       {srcMac, dstMac, src, dst, proto, ttl, srcPort, dstPort, icmpType, icmpCode, checksum: "ok"|"bad"|"zero"|null}
//   token       {runId, probeId, seq}
//   error       {layer, offset, message} when the frame is malformed or truncated
import type { CapturedFrame } from '../wire/packet-socket.js';
import type { IcmpHeader, InnerFrame, UdpHeader } from '../wire/frame.js';

export interface SniffRecord {
  time: number;
  direction: 'in' | 'out';
  length: number;
  srcMac: string | null;
  dstMac: string | null;
  vlan: number | null;
  src: string | null;
  dst: string | null;
  ttl: number | null;
  tos: number | null;
  ipChecksum: 'ok' | 'bad' | null;
  proto: 'udp' | 'icmp' | number | null;
  srcPort: number | null;
  dstPort: number | null;
  udpChecksum: 'ok' | 'bad' | 'zero' | 'offload' | null;
  icmp: { type: number; code: number } | null;
  vxlan: { flags: number; vni: number; valid: boolean } | null;
  inner: {
    srcMac: string | null;
    dstMac: string | null;
    src: string | null;
    dst: string | null;
    proto: 'udp' | 'icmp' | number | null;
    ttl: number | null;
    srcPort: number | null;
    dstPort: number | null;
    icmpType: number | null;
    icmpCode: number | null;
    checksum: 'ok' | 'bad' | 'zero' | null;
  } | null;
  token: { runId: number; probeId: number; seq: number } | null;
  error: { layer: string; offset: number; message: string } | null;
}

function udpCsum(u: UdpHeader | null): 'ok' | 'bad' | 'zero' | null {
  if (!u) return null;
  if (u.checksum === 0) return 'zero';
  return u.checksumOk ? 'ok' : 'bad';
}

function protoName(p: number | undefined): 'udp' | 'icmp' | number | null {
  if (p === undefined) return null;
  return p === 17 ? 'udp' : p === 1 ? 'icmp' : p;
}

function innerOf(i: InnerFrame | null): SniffRecord['inner'] {
  if (!i) return null;
  const icmp: IcmpHeader | null = i.icmp;
  return {
    srcMac: i.eth?.src ?? null,
    dstMac: i.eth?.dst ?? null,
    src: i.ipv4?.src ?? null,
    dst: i.ipv4?.dst ?? null,
    proto: protoName(i.ipv4?.protocol),
    ttl: i.ipv4?.ttl ?? null,
    srcPort: i.udp?.srcPort ?? null,
    dstPort: i.udp?.dstPort ?? null,
    icmpType: icmp?.type ?? null,
    icmpCode: icmp?.code ?? null,
    checksum: i.udp ? udpCsum(i.udp) : icmp ? (icmp.checksumOk ? 'ok' : 'bad') : null,
  };
}

export function toSniffRecord(c: CapturedFrame): SniffRecord {
  const f = c.frame;
  return {
    time: c.time,
    direction: c.direction,
    length: c.length,
    srcMac: f.eth?.src ?? null,
    dstMac: f.eth?.dst ?? null,
    vlan: f.eth?.vlan ?? c.vlan ?? null,
    src: f.ipv4?.src ?? null,
    dst: f.ipv4?.dst ?? null,
    ttl: f.ipv4?.ttl ?? null,
    tos: f.ipv4?.tos ?? null,
    ipChecksum: f.ipv4 ? (f.ipv4.checksumOk ? 'ok' : 'bad') : null,
    proto: protoName(f.ipv4?.protocol),
    srcPort: f.udp?.srcPort ?? null,
    dstPort: f.udp?.dstPort ?? null,
    udpChecksum: f.udp && c.checksumPending && f.udp.checksum !== 0 ? 'offload' : udpCsum(f.udp),
    icmp: f.icmp ? { type: f.icmp.type, code: f.icmp.code } : null,
    vxlan: f.vxlan ? { flags: f.vxlan.flags, vni: f.vxlan.vni, valid: f.vxlan.valid } : null,
    inner: innerOf(f.inner),
    token: f.token ? { ...f.token } : null,
    error: f.error ? { ...f.error } : null,
  };
}

function clock(ms: number): string {
  const d = new Date(ms);
  const micros = Math.floor((ms % 1000) * 1000).toString().padStart(6, '0');
  return `${d.toISOString().slice(11, 19)}.${micros}`;
}

function hostPort(ip: string | null, port: number | null): string {
  return port === null ? `${ip ?? '?'}` : `${ip ?? '?'}:${port}`;
}

/** tcpdump-like: time dir src:port > dst:port ttl csum [vxlan ...] [token ...]. */
export function formatSniffLine(r: SniffRecord): string {
  const parts = [clock(r.time), r.direction.padEnd(3), `${hostPort(r.src, r.srcPort)} > ${hostPort(r.dst, r.dstPort)}`];
  if (r.ttl !== null) parts.push(`ttl ${r.ttl}`);
  if (r.proto === 'udp') parts.push(`udp csum ${r.udpChecksum}`);
  else if (r.icmp) parts.push(`icmp type ${r.icmp.type} code ${r.icmp.code}`);
  else if (r.proto !== null) parts.push(`proto ${r.proto}`);
  if (r.vxlan) {
    parts.push(`vxlan vni ${r.vxlan.vni}${r.vxlan.valid ? '' : ` (flags 0x${r.vxlan.flags.toString(16)})`}`);
  }
  if (r.inner) {
    const i = r.inner;
    const what =
      i.proto === 'icmp' ? `icmp ${i.icmpType}/${i.icmpCode}` : i.proto === 'udp' ? `udp ${i.srcPort} > ${i.dstPort}` : `proto ${i.proto}`;
    parts.push(`[${i.srcMac} > ${i.dstMac} ${i.src} > ${i.dst} ${what} csum ${i.checksum}]`);
  }
  if (r.token) parts.push(`token ${r.token.runId.toString(16).padStart(8, '0')}/${r.token.probeId}/${r.token.seq}`);
  parts.push(`len ${r.length}`);
  if (r.error) parts.push(`!${r.error.layer}@${r.error.offset}: ${r.error.message}`);
  return parts.join(' ');
}
