// Library entry point: `import { ... } from 'vxprobe'` for embedding in agents.
export { UsageError, CannotRunError } from './errors.js';
export { buildFrame, parseFrame, parseFrameNative, DEFAULT_VXLAN_PORTS } from './wire/frame.js';
export { assembleFrame, RECORD_TOTAL as FRAME_RECORD_LENGTH } from './wire/frame-record.js';
export type {
  FrameSpec, InnerSpec, ParseOptions, ParsedFrame, QuotedPacket, EthHeader, Ipv4Header, UdpHeader,
  IcmpHeader, VxlanHeader, InnerFrame, ParseError, Layer, UdpChecksumMode,
} from './wire/frame.js';
export { encodeToken, decodeToken, stampSeq, TOKEN_LENGTH, TOKEN_SEQ_OFFSET } from './wire/token.js';
export type { Token } from './wire/token.js';
export { parseMac, parseIpv4, parsePort, parseVni } from './wire/addr.js';
export { encodePcap, decodePcap, writePcap, readPcap } from './wire/pcap.js';
export type { PcapRecord } from './wire/pcap.js';
export { RoutedSender, IcmpListener } from './wire/routed.js';
export type { IcmpErrorQuote, IcmpEchoReply } from './wire/routed.js';
