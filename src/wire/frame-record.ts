// Assembles ParsedFrame objects from the flat Float64Array record that the
// native parser fills (layout: native/frame_record.h; keep both in step).
// Object literals built here cost far fewer instructions than building the
// same objects through N-API, which matters at hundreds of thousands of frames/s.
import type {
  EthHeader, IcmpHeader, InnerFrame, Ipv4Header, ParsedFrame, UdpHeader,
} from './frame.js';

const ETH = 0;
const IP = 15;
const UDP = 28;
const ICMP = 34;
const LAYERS = 44;
const LENGTH = 0;
const OUTER = 1;
const VXLAN = OUTER + LAYERS;
const HAS_INNER = VXLAN + 4;
const INNER = HAS_INNER + 1;
const PAYLOAD = INNER + LAYERS;
const TOKEN = PAYLOAD + 2;
const ERROR = TOKEN + 4;
export const RECORD = ERROR + 3;
export const RECORD_TOTAL = 2 * RECORD;

const ERROR_LAYERS = [
  'ethernet', 'vlan', 'ipv4', 'udp', 'icmp', 'vxlan',
  'inner-ethernet', 'inner-vlan', 'inner-ipv4', 'inner-udp', 'inner-icmp',
];

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function mac(r: Float64Array, o: number): string {
  return `${HEX[r[o]!]}:${HEX[r[o + 1]!]}:${HEX[r[o + 2]!]}:${HEX[r[o + 3]!]}:${HEX[r[o + 4]!]}:${HEX[r[o + 5]!]}`;
}

function ip(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function eth(r: Float64Array, o: number): EthHeader | null {
  if (r[o] !== 1) return null;
  const vlan = r[o + 13]!;
  return { src: mac(r, o + 1), dst: mac(r, o + 7), vlan: vlan < 0 ? null : vlan, etherType: r[o + 14]! };
}

function ipv4(r: Float64Array, o: number): Ipv4Header | null {
  if (r[o] !== 1) return null;
  return {
    src: ip(r[o + 1]!), dst: ip(r[o + 2]!), ttl: r[o + 3]!, tos: r[o + 4]!, id: r[o + 5]!,
    dontFragment: r[o + 6] === 1, moreFragments: r[o + 7] === 1, fragmentOffset: r[o + 8]!,
    totalLength: r[o + 9]!, headerLength: r[o + 10]!, protocol: r[o + 11]!, checksumOk: r[o + 12] === 1,
  };
}

function udp(r: Float64Array, o: number): UdpHeader | null {
  if (r[o] !== 1) return null;
  const ok = r[o + 5]!;
  return { srcPort: r[o + 1]!, dstPort: r[o + 2]!, length: r[o + 3]!, checksum: r[o + 4]!, checksumOk: ok < 0 ? null : ok === 1 };
}

function icmp(r: Float64Array, o: number, quoted: () => ParsedFrame | null): IcmpHeader | null {
  if (r[o] !== 1) return null;
  const echo = r[o + 4] === 1;
  return {
    type: r[o + 1]!, code: r[o + 2]!, checksumOk: r[o + 3] === 1,
    id: echo ? r[o + 5]! : null, seq: echo ? r[o + 6]! : null,
    nextHopMtu: r[o + 7] === 1 ? r[o + 8]! : null,
    quoted: r[o + 9] === 1 ? quoted() : null,
  };
}

const noQuote = (): null => null;

/** The frame in record `r` at `base`; `messages` are the error texts the native call returned. */
export function assembleFrame(r: Float64Array, base: number, message: string | null, quotedMessage: string | null = null): ParsedFrame {
  const o = base + OUTER;
  const quoted = () => assembleFrame(r, base + RECORD, quotedMessage);
  let inner: InnerFrame | null = null;
  if (r[base + HAS_INNER] === 1) {
    const i = base + INNER;
    inner = { eth: eth(r, i + ETH), ipv4: ipv4(r, i + IP), udp: udp(r, i + UDP), icmp: icmp(r, i + ICMP, noQuote) };
  }
  const v = base + VXLAN;
  const t = base + TOKEN;
  const e = base + ERROR;
  return {
    length: r[base + LENGTH]!,
    eth: eth(r, o + ETH),
    ipv4: ipv4(r, o + IP),
    udp: udp(r, o + UDP),
    icmp: icmp(r, o + ICMP, quoted),
    vxlan: r[v] === 1 ? { flags: r[v + 1]!, vni: r[v + 2]!, valid: r[v + 3] === 1 } : null,
    inner,
    payloadOffset: r[base + PAYLOAD]!,
    payloadLength: r[base + PAYLOAD + 1]!,
    token: r[t] === 1 ? { runId: r[t + 1]!, probeId: r[t + 2]!, seq: r[t + 3]! } : null,
    error: r[e] === 1 ? { layer: ERROR_LAYERS[r[e + 1]!] ?? 'unknown', offset: r[e + 2]!, message: message ?? '' } : null,
  };
}
