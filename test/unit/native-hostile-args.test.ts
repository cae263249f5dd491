// Hostile arguments to the addon from in-process JS: getters that grow an
// array after its length was checked, getters that detach the buffer the
// addon is about to read or write, C++ exceptions at the N-API boundary, and
// capture filters longer than an 8-bit BPF jump can span
// (docs/native-hardening.md). Each case crashed, corrupted memory or gave a
// wrong filter before the fix.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { buildFrame, parseFrame } from '../../src/wire/frame.js';
import { runBpf, testFrame } from '../helpers/bpf-interpreter.js';

const addon = native();
// The per-frame parse record (the one frame path: docs/frame-path.md).
const PARSE_SIZE = addon.FRAME_LAYOUT.parse.size;
const FRAME_LENGTH_AT = addon.FRAME_LAYOUT.parse.frame + addon.FRAME_LAYOUT.frame.length;

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
  it('parseFrameInto: vxlanPorts grown by a getter past 32 entries is a TypeError, not a stack overflow', () => {
    const frame = probeFrame();
    const record = new Float64Array(PARSE_SIZE);
    expect(() => addon.parseFrameInto(frame, record, { vxlanPorts: growingArray(8472, 200) })).toThrow(TypeError);
    expect(() => addon.parseFrameInto(frame, record, { vxlanPorts: growingArray(8472, 200) })).toThrow(
      /vxlanPorts changed length/,
    );
    // The plain case still works.
    expect(parseFrame(frame, { vxlanPorts: [8472] }).vxlan?.vni).toBe(7);
  });

  it('buildPortFilter and PacketSocket options: ports grown by a getter past the limit is a TypeError', () => {
    expect(() => addon.buildPortFilter({ ports: growingArray(8472, 1500) })).toThrow(/ports changed length/);
    expect(() => addon.buildPortFilter({ ports: growingArray(8472, 1500) })).toThrow(TypeError);
  });

  it('openCaptureAsync: bad names and options are TypeErrors on the JS thread, before any socket is made', () => {
    expect(() => addon.openCaptureAsync('lo', { ports: growingArray(8472, 1500) })).toThrow(/ports changed length/);
    expect(() => addon.openCaptureAsync(42 as unknown as string)).toThrow(/ifname must be a string/);
    expect(() => addon.openCaptureAsync('x'.repeat(16))).toThrow(/ifname must be 1 to 15 bytes/);
    expect(() => addon.openCaptureAsync('lo', { capture: false })).toThrow(/needs capture: true/);
  });
});

describe('buffers detached by option getters', () => {
  it('parseFrameInto refuses a record detached by a getter instead of writing freed memory', () => {
    const frame = probeFrame();
    const ab = new ArrayBuffer(PARSE_SIZE * 8);
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
    const record = new Float64Array(PARSE_SIZE).fill(-7);
    const opts = {
      get layer() {
        detach(ab);
        return undefined;
      },
    };
    const msgs = addon.parseFrameInto(buf, record, opts);
    expect(msgs?.[0]).toMatch(/./); // a parse error: no bytes
    expect(record[FRAME_LENGTH_AT]).toBe(0); // the record describes the empty buffer
  });
});

describe('test-only hooks', () => {
  it('exist only when the suite asks for them: a plain process loading the addon has none', () => {
    expect(typeof (addon as unknown as Record<string, unknown>)._throwForTest).toBe('function');
    const env = { ...process.env };
    delete env.VXPROBE_NATIVE_TEST_HOOKS;
    const script = `import('${pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'native.ts')).href}').then(({ native }) => { const a = native(); console.log(JSON.stringify([typeof a._throwForTest, typeof a._throwAsyncForTest, typeof a.parseFrameInto])); })`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env, encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim())).toEqual(['undefined', 'undefined', 'function']);
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

describe('C++ exceptions in the async variants (PromiseWorker)', () => {
  const hook = (addon as unknown as { _throwAsyncForTest(kind: string, where: string): Promise<string> })._throwAsyncForTest;
  const settle = (kind: string, where: string) =>
    hook(kind, where).then(
      (v) => v,
      (e: Error & { code?: string }) => ({ code: e.code, isError: e instanceof Error, message: e.message }),
    );

  for (const where of ['execute', 'result']) {
    it(`thrown in ${where === 'execute' ? "the pool thread's Execute" : 'the result building (OnOK)'}: the promise rejects with a code`, async () => {
      expect(await settle('bad_alloc', where)).toMatchObject({ code: 'ENOMEM', isError: true });
      expect(await settle('length_error', where)).toMatchObject({ code: 'ENOMEM', isError: true });
      expect(await settle('runtime_error', where)).toMatchObject({ code: 'EINTERNAL', isError: true });
      // Not a std::exception: node-addon-api's own Execute guard would let it through to libuv.
      expect(await settle('int', where)).toMatchObject({ code: 'EINTERNAL', isError: true });
      expect(await settle('none', where)).toBe('resolved');
    });
  }

  it('netlinkTableTake takes only handles netlinkTableAsync made', () => {
    const take = (addon as unknown as { netlinkTableTake(h: unknown, max: number): unknown }).netlinkTableTake;
    expect(() => take({}, 10)).toThrow(/handle must come from netlinkTableAsync/);
    expect(() => take(null, 10)).toThrow(TypeError);
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
