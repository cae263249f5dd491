// A classic BPF interpreter covering the instructions our filters use, so the
// exact program the socket attaches can be checked without root. It throws on
// any instruction it does not know, so a new opcode cannot pass silently.
import type { BpfInstruction } from '../../src/wire/socket-binding.js';

const BPF = {
  LD: 0x00, LDX: 0x01, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, H: 0x08, B: 0x10, IMM: 0x00, ABS: 0x20, IND: 0x40,
  ADD: 0x00, LSH: 0x60, AND: 0x50, JA: 0x00, JEQ: 0x10, JSET: 0x40, K: 0x00, X: 0x08, TAX: 0x00,
} as const;

/** Runs `prog` over `pkt`; returns the accepted byte count (0 = dropped). */
export function runBpf(prog: BpfInstruction[], pkt: Uint8Array): number {
  let a = 0;
  let x = 0;
  const load = (off: number, size: number): number | undefined => {
    if (off < 0 || off + size > pkt.length) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = (v << 8) | pkt[off + i]!;
    return v >>> 0;
  };
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    const cls = code & 0x07;
    if (cls === BPF.LD) {
      const size = (code & 0x18) === BPF.H ? 2 : (code & 0x18) === BPF.B ? 1 : 4;
      const mode = code & 0xe0;
      const off = mode === BPF.ABS ? k : mode === BPF.IND ? x + k : NaN;
      if (Number.isNaN(off)) throw new Error(`unsupported LD mode ${code}`);
      const v = load(off, size);
      if (v === undefined) return 0; // out-of-bounds load ends the program with 0
      a = v;
    } else if (cls === BPF.LDX) {
      if ((code & 0xe0) !== BPF.IMM) throw new Error(`unsupported LDX ${code}`);
      x = k;
    } else if (cls === BPF.ALU) {
      const src = code & 0x08 ? x : k;
      const op = code & 0xf0;
      if (op === BPF.ADD) a = (a + src) >>> 0;
      else if (op === BPF.AND) a = (a & src) >>> 0;
      else if (op === BPF.LSH) a = (a << src) >>> 0;
      else throw new Error(`unsupported ALU ${code}`);
    } else if (cls === BPF.JMP) {
      const op = code & 0xf0;
      if (op === BPF.JA) pc += k;
      else if (op === BPF.JEQ) pc += a === k ? jt : jf;
      else if (op === BPF.JSET) pc += (a & k) !== 0 ? jt : jf;
      else throw new Error(`unsupported JMP ${code}`);
    } else if (cls === BPF.RET) {
      return k;
    } else if (cls === BPF.MISC && (code & 0xf8) === BPF.TAX) {
      x = a;
    } else {
      throw new Error(`unsupported instruction ${code}`);
    }
  }
  throw new Error('program fell off the end');
}

export interface TestFrameSpec {
  vlan?: number;
  ethertype?: number;
  proto?: number;
  ihl?: number;
  srcPort?: number;
  dstPort?: number;
  fragOffset?: number;
}

/** Minimal Ethernet/IPv4/L4 header bytes for filter tests (no payload, no checksums). */
export function testFrame(s: TestFrameSpec): Uint8Array {
  const ihl = s.ihl ?? 5;
  const l2 = s.vlan === undefined ? 14 : 18;
  const b = Buffer.alloc(l2 + ihl * 4 + 8);
  if (s.vlan !== undefined) {
    b.writeUInt16BE(0x8100, 12);
    b.writeUInt16BE(s.vlan, 14);
    b.writeUInt16BE(s.ethertype ?? 0x0800, 16);
  } else {
    b.writeUInt16BE(s.ethertype ?? 0x0800, 12);
  }
  b[l2] = 0x40 | ihl;
  b.writeUInt16BE(s.fragOffset ?? 0, l2 + 6);
  b[l2 + 9] = s.proto ?? 17;
  b.writeUInt16BE(s.srcPort ?? 40000, l2 + ihl * 4);
  b.writeUInt16BE(s.dstPort ?? 8472, l2 + ihl * 4 + 2);
  return b;
}
