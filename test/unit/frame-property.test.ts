// Property tests: every field survives build -> parse, and no byte sequence
// (truncated, corrupted or random) makes the parser throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFrame, parseFrame, type FrameSpec } from '../../src/wire/frame.js';
import { encodeToken } from '../../src/wire/token.js';

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));
const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const u16 = fc.nat(65535);
const u32 = fc.nat(0xffffffff);

const innerArb = fc.record({
  srcMac: mac, dstMac: mac, vlan: fc.option(fc.nat(4095), { nil: undefined }),
  srcIp: ip, dstIp: ip, ttl: fc.nat(255), tos: fc.nat(255), ipId: u16, dontFragment: fc.boolean(),
  protocol: fc.constantFrom('icmp' as const, 'udp' as const),
  icmpId: u16, icmpSeq: u16, srcPort: u16, dstPort: u16,
});

const specArb = fc.record({
  srcMac: mac, dstMac: mac, vlan: fc.option(fc.nat(4095), { nil: undefined }),
  srcIp: ip, dstIp: ip, ttl: fc.nat(255), tos: fc.nat(255), ipId: u16, dontFragment: fc.boolean(),
  srcPort: u16, dstPort: fc.constantFrom(4789, 8472, 8475),
  udpChecksum: fc.constantFrom('compute' as const, 'zero' as const, 'wrong' as const),
  vni: fc.nat(0xffffff), inner: innerArb,
  token: fc.record({ runId: u32, probeId: u32, seq: u32 }),
  text: fc.string({ maxLength: 40 }), extra: fc.nat(300),
});

describe('build -> parse round trip (property)', () => {
  it('preserves every field of VXLAN frames', () => {
    fc.assert(
      fc.property(specArb, (s) => {
        const payload = encodeToken(s.token, s.text);
        const spec: FrameSpec = { ...s, vxlan: { vni: s.vni }, payload };
        const unpadded = buildFrame(spec);
        const padTo = unpadded.length - 14 - (s.vlan === undefined ? 0 : 4) + s.extra;
        const f = buildFrame({ ...spec, padTo });
        const p = parseFrame(f);
        expect(p.error).toBeNull();
        expect(p.eth).toEqual({ src: s.srcMac, dst: s.dstMac, vlan: s.vlan ?? null, etherType: 0x0800 });
        expect(p.ipv4).toMatchObject({ src: s.srcIp, dst: s.dstIp, ttl: s.ttl, tos: s.tos, id: s.ipId, dontFragment: s.dontFragment, totalLength: padTo, checksumOk: true });
        expect(p.udp).toMatchObject({ srcPort: s.srcPort, dstPort: s.dstPort, length: padTo - 20 });
        expect(p.udp?.checksumOk).toBe(s.udpChecksum === 'compute' ? true : s.udpChecksum === 'zero' ? null : false);
        expect(p.vxlan).toEqual({ flags: 8, vni: s.vni, valid: true });
        const i = s.inner;
        expect(p.inner?.eth).toEqual({ src: i.srcMac, dst: i.dstMac, vlan: i.vlan ?? null, etherType: 0x0800 });
        expect(p.inner?.ipv4).toMatchObject({ src: i.srcIp, dst: i.dstIp, ttl: i.ttl, tos: i.tos, id: i.ipId, dontFragment: i.dontFragment, checksumOk: true });
        if (i.protocol === 'udp') {
          expect(p.inner?.udp).toMatchObject({ srcPort: i.srcPort, dstPort: i.dstPort });
          expect(p.inner?.udp?.checksumOk).not.toBe(false);
        } else {
          expect(p.inner?.icmp).toMatchObject({ type: 8, id: i.icmpId, seq: i.icmpSeq, checksumOk: true });
        }
        expect(p.token).toEqual(s.token);
        expect(p.payloadLength).toBe(payload.length + s.extra);
      }),
      { numRuns: 300 },
    );
  });

  it('preserves plain UDP and plain ICMP fields', () => {
    fc.assert(
      fc.property(ip, ip, u16, u16, u32, fc.boolean(), (src, dst, sport, dport, run, icmp) => {
        const payload = encodeToken({ runId: run, probeId: 1, seq: 2 });
        const f = icmp
          ? buildFrame({ layer: 'ipv4', srcIp: src, dstIp: dst, icmp: { id: sport, seq: dport }, payload })
          : buildFrame({ layer: 'ipv4', srcIp: src, dstIp: dst, srcPort: sport, dstPort: dport, payload });
        const p = parseFrame(f, { layer: 'ipv4', vxlanPorts: [] });
        expect(p.error).toBeNull();
        expect(p.ipv4).toMatchObject({ src, dst, checksumOk: true });
        if (icmp) expect(p.icmp).toMatchObject({ id: sport, seq: dport, checksumOk: true });
        else expect(p.udp).toMatchObject({ srcPort: sport, dstPort: dport, checksumOk: true });
        expect(p.token?.runId).toBe(run);
      }),
      { numRuns: 200 },
    );
  });
});

const LAYER_NAMES = new Set(['ethernet', 'vlan', 'ipv4', 'udp', 'icmp', 'vxlan', 'inner-ethernet', 'inner-vlan', 'inner-ipv4', 'inner-udp', 'inner-icmp']);

describe('malformed input never throws', () => {
  const full = buildFrame({
    srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', vlan: 5, srcIp: '10.0.0.1', dstIp: '10.0.0.2',
    srcPort: 1, dstPort: 8472, vxlan: { vni: 1 },
    inner: { srcMac: '0a:00:00:00:00:01', dstMac: '0a:00:00:00:00:02', vlan: 9, srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'udp' },
    payload: encodeToken({ runId: 1, probeId: 2, seq: 3 }),
  });

  it('names a layer and offset for every truncation length', () => {
    for (let n = 0; n < full.length; n++) {
      const p = parseFrame(full.subarray(0, n));
      expect(p.length).toBe(n);
      expect(p.error).not.toBeNull();
      expect(LAYER_NAMES.has(p.error!.layer)).toBe(true);
      expect(p.error!.offset).toBeLessThanOrEqual(n);
      // The outer IPv4 length promises more than is present.
      if (n >= 38) expect(p.error).toMatchObject({ layer: 'ipv4', offset: 20 });
      if (n >= 38) expect(p.ipv4?.src).toBe('10.0.0.1');
    }
  });

  it('names exactly the layer cut when every length field agrees with the cut', () => {
    // Offsets in `full`: eth 0, vlan tag 12..17, ipv4 18, udp 38, vxlan 46,
    // inner eth 54, inner vlan tag 66..71, inner ipv4 72, inner udp 92, token 100.
    const expected = (n: number): string | null =>
      n < 14 ? 'ethernet' : n < 18 ? 'vlan' : n < 38 ? 'ipv4' : n < 46 ? 'udp' : n < 54 ? 'vxlan'
        : n < 68 ? 'inner-ethernet' : n < 72 ? 'inner-vlan' : n < 92 ? 'inner-ipv4' : n < 100 ? 'inner-udp' : null;
    for (let n = 0; n < full.length; n++) {
      const b = Buffer.from(full.subarray(0, n));
      if (n >= 38) b.writeUInt16BE(n - 18, 18 + 2);
      if (n >= 46) b.writeUInt16BE(n - 38, 38 + 4);
      if (n >= 92) b.writeUInt16BE(n - 72, 72 + 2);
      if (n >= 100) b.writeUInt16BE(n - 92, 92 + 4);
      const p = parseFrame(b);
      expect(p.error?.layer ?? null, `cut at ${n}`).toBe(expected(n));
      if (n >= 46) expect(p.udp?.dstPort).toBe(8472);
      if (n >= 54) expect(p.vxlan?.vni).toBe(1);
      if (n >= 100) expect(p.token).toBeNull(); // token cut short: no token, no error
    }
  });

  it('reports inner truncation when outer lengths agree with the cut', () => {
    // Build a frame whose whole UDP payload is only the VXLAN header + 10 bytes.
    const f = buildFrame({ layer: 'ipv4', srcIp: '1.1.1.1', dstIp: '2.2.2.2', srcPort: 1, dstPort: 8472, payload: Buffer.from('0800000000000100aabbccddeeff00112233', 'hex') });
    const p = parseFrame(f, { layer: 'ipv4' });
    expect(p.vxlan?.vni).toBe(1);
    expect(p.error).toMatchObject({ layer: 'inner-ethernet', offset: 36 });
  });

  it('rejects bad IPv4 version and header length', () => {
    const bad = Buffer.from(full);
    bad[18] = 0x65;
    expect(parseFrame(bad).error).toMatchObject({ layer: 'ipv4', offset: 18 });
    bad[18] = 0x44;
    expect(parseFrame(bad).error?.message).toMatch(/header length/);
  });

  it('survives random bytes and random corruption (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, asIp) => {
        const p = parseFrame(bytes, { layer: asIp ? 'ipv4' : 'ethernet' });
        expect(p.length).toBe(bytes.length);
        if (p.error) expect(LAYER_NAMES.has(p.error.layer)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(full.length - 1), fc.nat(255)), { maxLength: 6 }), fc.nat(full.length), (edits, cut) => {
        const b = Buffer.from(full.subarray(0, cut));
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        const p = parseFrame(b);
        if (p.error) expect(p.error.offset).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('parses non-IPv4 ethertypes as just Ethernet', () => {
    const arp = Buffer.alloc(42);
    arp.writeUInt16BE(0x0806, 12);
    const p = parseFrame(arp);
    expect(p.eth?.etherType).toBe(0x0806);
    expect(p.ipv4).toBeNull();
    expect(p.error).toBeNull();
  });
});
