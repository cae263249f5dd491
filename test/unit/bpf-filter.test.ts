// The socket's classic BPF program, run through an interpreter: the program
// the kernel would run, checked without root.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { native } from '../../src/native.js';
import { runBpf, testFrame } from '../helpers/bpf-interpreter.js';

const { buildPortFilter } = native();

describe('buildPortFilter', () => {
  const prog = buildPortFilter({ ports: [8472, 8475], icmp: true, snapLen: 1500 });

  it('keeps UDP to or from a listed port, untagged or 802.1Q-tagged, cut to snapLen', () => {
    expect(runBpf(prog, testFrame({ dstPort: 8472 }))).toBe(1500);
    expect(runBpf(prog, testFrame({ srcPort: 8475, dstPort: 53 }))).toBe(1500);
    expect(runBpf(prog, testFrame({ vlan: 100, dstPort: 8475 }))).toBe(1500);
    expect(runBpf(prog, testFrame({ ihl: 7, dstPort: 8472 }))).toBe(1500);
    expect(runBpf(prog, testFrame({ vlan: 7, ihl: 6, srcPort: 8472, dstPort: 1 }))).toBe(1500);
  });

  it('drops other UDP ports, TCP, IPv6, ARP and non-first fragments', () => {
    expect(runBpf(prog, testFrame({ dstPort: 8473 }))).toBe(0);
    expect(runBpf(prog, testFrame({ proto: 6, dstPort: 8472 }))).toBe(0);
    expect(runBpf(prog, testFrame({ ethertype: 0x86dd, dstPort: 8472 }))).toBe(0);
    expect(runBpf(prog, testFrame({ ethertype: 0x0806 }))).toBe(0);
    expect(runBpf(prog, testFrame({ vlan: 5, ethertype: 0x86dd }))).toBe(0);
    expect(runBpf(prog, testFrame({ fragOffset: 0x20b9, dstPort: 8472 }))).toBe(0);
    // The first fragment (MF set, offset 0) has the UDP header and is kept.
    expect(runBpf(prog, testFrame({ fragOffset: 0x2000, dstPort: 8472 }))).toBe(1500);
  });

  it('keeps ICMP only when asked', () => {
    expect(runBpf(prog, testFrame({ proto: 1 }))).toBe(1500);
    const noIcmp = buildPortFilter({ ports: [8472], icmp: false });
    expect(runBpf(noIcmp, testFrame({ proto: 1 }))).toBe(0);
    expect(runBpf(noIcmp, testFrame({ dstPort: 8472 }))).toBe(65535);
  });

  it('keeps every UDP datagram when no port is given', () => {
    const all = buildPortFilter({ icmp: false });
    expect(runBpf(all, testFrame({ dstPort: 1 }))).toBe(65535);
    expect(runBpf(all, testFrame({ proto: 6 }))).toBe(0);
  });

  it('drops truncated frames instead of reading past them', () => {
    expect(runBpf(prog, new Uint8Array(13))).toBe(0);
    expect(runBpf(prog, testFrame({ dstPort: 8472 }).subarray(0, 36))).toBe(0);
  });

  it('agrees with a direct port match for random port lists and frames', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
        fc.integer({ min: 5, max: 15 }),
        (ports, srcPort, dstPort, vlan, ihl) => {
          const p = buildPortFilter({ ports, icmp: false });
          const want = ports.includes(srcPort) || ports.includes(dstPort) ? 65535 : 0;
          expect(runBpf(p, testFrame({ srcPort, dstPort, vlan, ihl }))).toBe(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects bad options with the argument named', () => {
    expect(() => buildPortFilter({ ports: [0] })).toThrow(/ports\[0\]/);
    expect(() => buildPortFilter({ ports: [70000] })).toThrow(RangeError);
    expect(() => buildPortFilter({ ports: Array.from({ length: 1001 }, (_, i) => i + 1) })).toThrow(/more than 1000/);
    expect(() => buildPortFilter({ snapLen: 10 })).toThrow(/snapLen/);
  });
});
