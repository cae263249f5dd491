// Hostile arguments to the addon from in-process JS: getters that grow an
// array after its length was checked, getters that detach the buffer the
// addon is about to read or write, C++ exceptions at the N-API boundary, and
// capture filters longer than an 8-bit BPF jump can span
// (docs/native-hardening.md). Each case crashed, corrupted memory or gave a
// wrong filter before the fix.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { buildFrame } from '../../src/wire/frame.js';
import { runBpf, testFrame } from '../helpers/bpf-interpreter.js';

const addon = native();

function probeFrame(): Buffer {
  return buildFrame({
    srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '10.0.0.1', dstIp: '10.0.0.2',
    srcPort: 40000, dstPort: 8472, vxlan: { vni: 7 },
    inner: {
      srcMac: '02:00:00:00:01:01', dstMac: '02:00:00:00:01:02', srcIp: '10.1.0.1', dstIp: '10.1.0.2',
      protocol: 'icmp',
    },
  });
}

/** An array whose first element's getter appends `extra` more elements once the addon reads it. */
function growingArray(first: number, extra: number): number[] {
  const arr: number[] = [first];
  let grown = false;
  Object.defineProperty(arr, 0, {
    configurable: true,
    enumerable: true,
    get() {
      if (!grown) {
        grown = true;
        for (let i = 0; i < extra; i++) arr.push(1000 + i);
      }
      return first;
    },
  });
  return arr;
}

/** Moves the ArrayBuffer's memory elsewhere: `ab` is detached afterwards. */
function detach(ab: ArrayBuffer): void {
  structuredClone(ab, { transfer: [ab] });
}

describe('array lengths are read once', () => {
  it('parseFrame: vxlanPorts grown by a getter past 32 entries is a TypeError, not a stack overflow', () => {
    const frame = probeFrame();
    expect(() => addon.parseFrame(frame, { vxlanPorts: growingArray(8472, 200) })).toThrow(TypeError);
    expect(() => addon.parseFrame(frame, { vxlanPorts: growingArray(8472, 200) })).toThrow(/changed length/);
    const record = new Float64Array(addon.FRAME_RECORD_LENGTH);
    expect(() => addon.parseFrameInto(frame, record, { vxlanPorts: growingArray(8472, 200) })).toThrow(
      /vxlanPorts changed length/,
    );
    // The plain case still works.
    expect(addon.parseFrame(frame, { vxlanPorts: [8472] }).vxlan?.vni).toBe(7);
  });

  it('buildPortFilter and PacketSocket options: ports grown by a getter past the limit is a TypeError', () => {
    expect(() => addon.buildPortFilter({ ports: growingArray(8472, 1500) })).toThrow(/ports changed length/);
    expect(() => addon.buildPortFilter({ ports: growingArray(8472, 1500) })).toThrow(TypeError);
  });
});

describe('buffers detached by option getters', () => {
  it('parseFrame reads the buffer as it is after the options were read (detached = empty)', () => {
    const frame = probeFrame();
    const ab = new ArrayBuffer(frame.length);
    const buf = new Uint8Array(ab);
    buf.set(frame);
    const opts = {
      get layer() {
        detach(ab);
        return 'ethernet' as const;
      },
    };
    const parsed = addon.parseFrame(buf, opts);
    expect(buf.length).toBe(0);
    // A detached buffer holds no bytes: nothing may be parsed out of the old memory.
    expect(parsed.length).toBe(0);
    expect(parsed.eth).toBeNull();
    expect(parsed.error).not.toBeNull();
  });

  it('parseFrameInto refuses a record detached by a getter instead of writing freed memory', () => {
    const frame = probeFrame();
    const ab = new ArrayBuffer(addon.FRAME_RECORD_LENGTH * 8);
    const record = new Float64Array(ab);
    const opts = {
      get vxlanPorts() {
        detach(ab);
        return undefined;
      },
    };
    expect(() => addon.parseFrameInto(frame, record, opts)).toThrow(/record must be a Float64Array.*detached/);
  });

  it('parseFrameInto parses a detached input buffer as empty', () => {
    const frame = probeFrame();
    const ab = new ArrayBuffer(frame.length);
    const buf = new Uint8Array(ab);
    buf.set(frame);
    const record = new Float64Array(addon.FRAME_RECORD_LENGTH).fill(-7);
    const opts = {
      get layer() {
        detach(ab);
        return undefined;
      },
    };
    const msgs = addon.parseFrameInto(buf, record, opts);
    expect(msgs?.[0]).toMatch(/./); // a parse error: no bytes
    expect(record[0]).toBe(0); // kLength: the record describes the empty buffer
  });
});

describe('C++ exceptions at the N-API boundary', () => {
  const hook = (addon as unknown as { _throwForTest(kind: string): void })._throwForTest;
  const codeOf = (kind: string): unknown => {
    try {
      hook(kind);
    } catch (e) {
      return { code: (e as { code?: string }).code, isError: e instanceof Error };
    }
    return 'no error';
  };

  it('become JS errors with a code instead of aborting the process', () => {
    expect(codeOf('bad_alloc')).toEqual({ code: 'ENOMEM', isError: true });
    expect(codeOf('length_error')).toEqual({ code: 'ENOMEM', isError: true });
    expect(codeOf('runtime_error')).toEqual({ code: 'EINTERNAL', isError: true });
    expect(codeOf('int')).toEqual({ code: 'EINTERNAL', isError: true });
    expect(codeOf('none')).toBe('no error');
  });
});

describe('capture filters longer than an 8-bit jump', () => {
  const ports = (n: number, from = 10000) => Array.from({ length: n }, (_, i) => from + 3 * i);

  for (const n of [101, 150, 300, 1000]) {
    it(`${n} ports: every listed port is kept as source or destination, others dropped`, () => {
      const list = ports(n);
      const prog = addon.buildPortFilter({ ports: list, icmp: true, snapLen: 2000 });
      expect(prog.length).toBeLessThanOrEqual(4096); // the kernel's BPF_MAXINSNS
      for (const insn of prog) {
        expect(insn.jt).toBeLessThanOrEqual(255);
        expect(insn.jf).toBeLessThanOrEqual(255);
      }
      for (const port of list) {
        expect(runBpf(prog, testFrame({ dstPort: port, srcPort: 1 }))).toBe(2000);
        expect(runBpf(prog, testFrame({ srcPort: port, dstPort: 1, vlan: 9 }))).toBe(2000);
        expect(runBpf(prog, testFrame({ dstPort: port + 1, srcPort: port + 2 }))).toBe(0);
      }
      // The jumps that skip the whole port list land where they should, too.
      expect(runBpf(prog, testFrame({ proto: 1 }))).toBe(2000);
      expect(runBpf(prog, testFrame({ proto: 6, dstPort: list[0] }))).toBe(0);
      expect(runBpf(prog, testFrame({ ethertype: 0x86dd, dstPort: list[0] }))).toBe(0);
      expect(runBpf(prog, testFrame({ vlan: 3, ethertype: 0x0806 }))).toBe(0);
      expect(runBpf(prog, testFrame({ fragOffset: 0x20b9, dstPort: list[0] }))).toBe(0);
    });
  }

  it('refuses more ports than fit in one program', () => {
    expect(() => addon.buildPortFilter({ ports: ports(1001) })).toThrow(/more than 1000/);
  });
});
