import { describe, expect, it } from 'vitest';
import { buildFrame, parseFrame } from '../../src/wire/frame.js';
import { encodeToken } from '../../src/wire/token.js';

describe('plain UDP probes to a VXLAN port', () => {
  const base = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 50000, dstPort: 8472 };

  it('are decoded as plain payload carrying their token, not as VXLAN', () => {
    const f = parseFrame(buildFrame({ ...base, payload: encodeToken({ runId: 5, probeId: 6, seq: 7 }) }));
    expect(f.vxlan).toBeNull();
    expect(f.token).toEqual({ runId: 5, probeId: 6, seq: 7 });
  });

  it('while real VXLAN to the same port is still decoded as VXLAN', () => {
    const inner = { srcMac: '02:00:00:00:00:03', dstMac: '02:00:00:00:00:04', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp' as const };
    const f = parseFrame(buildFrame({ ...base, vxlan: { vni: 1 }, inner, payload: encodeToken({ runId: 5, probeId: 6, seq: 8 }) }));
    expect(f.vxlan).toMatchObject({ vni: 1, valid: true });
    expect(f.token?.seq).toBe(8);
  });
});
