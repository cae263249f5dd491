// Classic pcap files (LINKTYPE_ETHERNET), so our frames can be checked by an
// independent dissector (tshark) and kernel captures (tcpdump -w) can be
// decoded by our parser.
import { readFileSync, writeFileSync } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export interface PcapRecord {
  /** Capture time in microseconds since the epoch. */
  timeUs: number;
  data: Buffer;
  /** Length on the wire (>= data.length when the snap length cut it). */
  origLength: number;
}

export function encodePcap(frames: Array<Buffer | PcapRecord>, snapLen = 262144): Buffer {
  const header = Buffer.alloc(GLOBAL_HEADER);
  header.writeUInt32LE(MAGIC_US, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(snapLen, 16);
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [header];
  const now = Date.now() * 1000;
  frames.forEach((f, i) => {
    const rec = Buffer.isBuffer(f) ? { timeUs: now + i, data: f, origLength: f.length } : f;
    const h = Buffer.alloc(RECORD_HEADER);
    h.writeUInt32LE(Math.floor(rec.timeUs / 1e6), 0);
    h.writeUInt32LE(rec.timeUs % 1e6, 4);
    h.writeUInt32LE(rec.data.length, 8);
    h.writeUInt32LE(rec.origLength, 12);
    parts.push(h, rec.data);
  });
  return Buffer.concat(parts);
}

export function writePcap(path: string, frames: Array<Buffer | PcapRecord>): void {
  writeFileSync(path, encodePcap(frames));
}

/** Decodes a classic pcap of either byte order, µs or ns timestamps. Throws on a non-pcap or non-Ethernet file. */
export function decodePcap(buf: Buffer): PcapRecord[] {
  if (buf.length < GLOBAL_HEADER) throw new Error('not a pcap file: shorter than its 24-byte header');
  let le = true;
  let magic = buf.readUInt32LE(0);
  if (magic !== MAGIC_US && magic !== MAGIC_NS) {
    magic = buf.readUInt32BE(0);
    le = false;
  }
  if (magic !== MAGIC_US && magic !== MAGIC_NS) {
    throw new Error('not a classic pcap file (pcapng? use tcpdump -w, or editcap -F pcap)');
  }
  const u32 = (off: number) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const linkType = u32(20);
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`pcap link type ${linkType}, expected Ethernet (1)`);
  const fracDiv = magic === MAGIC_NS ? 1000 : 1;
  const out: PcapRecord[] = [];
  let off = GLOBAL_HEADER;
  while (off + RECORD_HEADER <= buf.length) {
    const capLen = u32(off + 8);
    const start = off + RECORD_HEADER;
    if (start + capLen > buf.length) throw new Error(`pcap record at offset ${off} is truncated`);
    out.push({
      timeUs: u32(off) * 1e6 + Math.floor(u32(off + 4) / fracDiv),
      data: buf.subarray(start, start + capLen),
      origLength: u32(off + 12),
    });
    off = start + capLen;
  }
  return out;
}

export function readPcap(path: string): PcapRecord[] {
  return decodePcap(readFileSync(path));
}
