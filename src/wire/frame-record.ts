// Assembles ParsedFrame objects from the flat Float64Array records the
// native parser fills, one per parseFrame call or a batch per capture
// wake-up. The offsets are NOT written here: the addon exports them
// (FRAME_LAYOUT, generated from the field lists in native/frame_record.h)
// and they are read on first use; docs/frame-path.md explains the path.
// Object literals built here cost far fewer instructions than building the
// same objects through N-API, which matters at hundreds of thousands of frames/s.
import { native } from '../native.js';
import type { FrameLayout } from './codec-binding.js';
import type {
  EthHeader, IcmpHeader, InnerFrame, Ipv4Header, ParsedFrame, UdpHeader,
} from './frame.js';

let cached: FrameLayout | undefined;

/** The record layout, as the addon defines it (loaded on first use, not at import). */
export function frameLayout(): FrameLayout {
  return (cached ??= native().FRAME_LAYOUT);
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function mac(r: Float64Array, o: number): string {
  return `${HEX[r[o]!]}:${HEX[r[o + 1]!]}:${HEX[r[o + 2]!]}:${HEX[r[o + 3]!]}:${HEX[r[o + 4]!]}:${HEX[r[o + 5]!]}`;
}

function ip(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function eth(L: FrameLayout, r: Float64Array, o: number): EthHeader | null {
  const E = L.eth;
  if (r[o + E.present] !== 1) return null;
  const vlan = r[o + E.vlan]!;
  return { src: mac(r, o + E.src), dst: mac(r, o + E.dst), vlan: vlan < 0 ? null : vlan, etherType: r[o + E.etherType]! };
}

function ipv4(L: FrameLayout, r: Float64Array, o: number): Ipv4Header | null {
  const I = L.ipv4;
  if (r[o + I.present] !== 1) return null;
  return {
    src: ip(r[o + I.src]!), dst: ip(r[o + I.dst]!), ttl: r[o + I.ttl]!, tos: r[o + I.tos]!, id: r[o + I.id]!,
    dontFragment: r[o + I.dontFragment] === 1, moreFragments: r[o + I.moreFragments] === 1,
    fragmentOffset: r[o + I.fragmentOffset]!, totalLength: r[o + I.totalLength]!,
    headerLength: r[o + I.headerLength]!, protocol: r[o + I.protocol]!, checksumOk: r[o + I.checksumOk] === 1,
  };
}

function udp(L: FrameLayout, r: Float64Array, o: number): UdpHeader | null {
  const U = L.udp;
  if (r[o + U.present] !== 1) return null;
  const ok = r[o + U.checksumOk]!;
  return {
    srcPort: r[o + U.srcPort]!, dstPort: r[o + U.dstPort]!, length: r[o + U.length]!,
    checksum: r[o + U.checksum]!, checksumOk: ok < 0 ? null : ok === 1,
  };
}

function icmp(L: FrameLayout, r: Float64Array, o: number, quoted: (() => ParsedFrame) | null): IcmpHeader | null {
  const C = L.icmp;
  if (r[o + C.present] !== 1) return null;
  const echo = r[o + C.hasEcho] === 1;
  return {
    type: r[o + C.type]!, code: r[o + C.code]!, checksumOk: r[o + C.checksumOk] === 1,
    id: echo ? r[o + C.id]! : null, seq: echo ? r[o + C.seq]! : null,
    nextHopMtu: r[o + C.hasMtu] === 1 ? r[o + C.nextHopMtu]! : null,
    quoted: quoted && r[o + C.hasQuoted] === 1 ? quoted() : null,
  };
}

function frameAt(L: FrameLayout, r: Float64Array, base: number, message: string | null, quoted: (() => ParsedFrame) | null): ParsedFrame {
  const F = L.frame;
  const Y = L.layers;
  const o = base + F.outer;
  let inner: InnerFrame | null = null;
  if (r[base + F.hasInner] === 1) {
    const i = base + F.inner;
    inner = { eth: eth(L, r, i + Y.eth), ipv4: ipv4(L, r, i + Y.ipv4), udp: udp(L, r, i + Y.udp), icmp: icmp(L, r, i + Y.icmp, null) };
  }
  const v = base + F.vxlan;
  const t = base + F.token;
  const e = base + F.error;
  const p = base + F.payload;
  return {
    length: r[base + F.length]!,
    eth: eth(L, r, o + Y.eth),
    ipv4: ipv4(L, r, o + Y.ipv4),
    udp: udp(L, r, o + Y.udp),
    icmp: icmp(L, r, o + Y.icmp, quoted),
    vxlan: r[v + L.vxlan.present] === 1
      ? { flags: r[v + L.vxlan.flags]!, vni: r[v + L.vxlan.vni]!, valid: r[v + L.vxlan.valid] === 1 }
      : null,
    inner,
    payloadOffset: r[p + L.payload.offset]!,
    payloadLength: r[p + L.payload.length]!,
    token: r[t + L.token.present] === 1
      ? { runId: r[t + L.token.runId]!, probeId: r[t + L.token.probeId]!, seq: r[t + L.token.seq]! }
      : null,
    error: r[e + L.error.present] === 1
      ? { layer: L.errorLayers[r[e + L.error.layer]!] ?? 'unknown', offset: r[e + L.error.offset]!, message: message ?? '' }
      : null,
  };
}

/**
 * The frame in the parse record (frame + quoted packet) at `base` of `r`;
 * `message`/`quotedMessage` are the error texts the native call returned.
 */
export function assembleFrame(r: Float64Array, base: number, message: string | null, quotedMessage: string | null = null): ParsedFrame {
  const L = frameLayout();
  const P = L.parse;
  return frameAt(L, r, base + P.frame, message, () => frameAt(L, r, base + P.quoted, quotedMessage, null));
}

/** The token of the frame in the parse record at `base` (or of the packet its ICMP error quotes). */
export function recordToken(r: Float64Array, base: number, quoted = false): { runId: number; probeId: number; seq: number } | null {
  const L = frameLayout();
  const f = base + (quoted ? L.parse.quoted : L.parse.frame);
  if (quoted) {
    const c = base + L.parse.frame + L.frame.outer + L.layers.icmp;
    if (r[c + L.icmp.present] !== 1 || r[c + L.icmp.hasQuoted] !== 1) return null;
  }
  const t = f + L.frame.token;
  if (r[t + L.token.present] !== 1) return null;
  return { runId: r[t + L.token.runId]!, probeId: r[t + L.token.probeId]!, seq: r[t + L.token.seq]! };
}
