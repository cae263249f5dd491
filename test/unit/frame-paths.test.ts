// The fast path (native record + JS assembly) and the all-N-API path
// (ParseFrameToObject, used by C++ callers) must give identical results.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { buildFrame, parseFrame, parseFrameNative } from '../../src/wire/frame.js';
import { RECORD_TOTAL } from '../../src/wire/frame-record.js';
import { encodeToken } from '../../src/wire/token.js';

const probe = buildFrame({
  layer: 'ipv4', srcIp: '10.1.0.2', dstIp: '10.2.0.2', srcPort: 40000, dstPort: 8472, vxlan: { vni: 77 },
  inner: { srcMac: '0a:00:00:00:00:01', dstMac: '0a:00:00:00:00:02', vlan: 3, srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'udp' },
  payload: encodeToken({ runId: 5, probeId: 6, seq: 7 }, 'x'),
});
const icmpError = buildFrame({
  srcMac: '02:00:00:00:00:09', dstMac: '02:00:00:00:00:01', srcIp: '10.1.0.1', dstIp: '10.1.0.2',
  icmp: { type: 3, code: 13 }, payload: probe,
});
const samples = [probe, icmpError];

describe('fast and N-API parse paths agree', () => {
  it('share the record length', () => {
    expect(native().FRAME_RECORD_LENGTH).toBe(RECORD_TOTAL);
  });

  it('on whole frames, ICMP errors with quotes, and every truncation', () => {
    for (const [bytes, layer] of [[probe, 'ipv4'], [icmpError, 'ethernet']] as const) {
      for (let n = 0; n <= bytes.length; n++) {
        const cut = bytes.subarray(0, n);
        expect(parseFrame(cut, { layer })).toEqual(parseFrameNative(cut, { layer }));
      }
    }
    expect(parseFrame(icmpError).icmp?.quoted?.token).toEqual({ runId: 5, probeId: 6, seq: 7 });
  });

  it('on random corruption (property)', () => {
    fc.assert(
      fc.property(fc.nat(1), fc.array(fc.tuple(fc.nat(400), fc.nat(255)), { maxLength: 8 }), (which, edits) => {
        const b = Buffer.from(samples[which]!);
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        const layer = which === 0 ? 'ipv4' : 'ethernet';
        expect(parseFrame(b, { layer })).toEqual(parseFrameNative(b, { layer }));
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a record that is too short', () => {
    expect(() => native().parseFrameInto(probe, new Float64Array(10))).toThrow(TypeError);
  });
});
