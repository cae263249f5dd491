import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFrame, parseFrame, type FrameSpec } from '../../src/wire/frame.js';
import { decodeToken, encodeToken, stampSeq, tokenLayout } from '../../src/wire/token.js';
import { native } from '../../src/native.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'frames');

function fixture(name: string): Buffer {
  const hex = readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .join('');
  return Buffer.from(hex, 'hex');
}

const vni1Spec: FrameSpec = {
  srcMac: '02:00:00:00:00:01',
  dstMac: '02:00:00:00:00:02',
  srcIp: '192.168.1.10',
  dstIp: '192.168.1.20',
  srcPort: 40000,
  dstPort: 8472,
  vxlan: { vni: 1 },
  inner: {
    srcMac: '0a:00:00:00:00:01',
    dstMac: '0a:00:00:00:00:02',
    srcIp: '10.244.0.0',
    dstIp: '10.244.1.0',
    protocol: 'icmp',
    icmpId: 0x1234,
    icmpSeq: 1,
  },
  payload: encodeToken({ runId: 0x01020304, probeId: 7, seq: 1 }, 'hello'),
};

describe('RFC 7348 fixtures (byte-exact)', () => {
  it('builds the flannel-style VNI 1 / 8472 ICMP frame exactly', () => {
    expect(buildFrame(vni1Spec).toString('hex')).toBe(fixture('vxlan-8472-vni1-icmp.hex').toString('hex'));
  });

  it('parses the flannel-style frame into every field', () => {
    const p = parseFrame(fixture('vxlan-8472-vni1-icmp.hex'));
    expect(p.error).toBeNull();
    expect(p.eth).toEqual({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', vlan: null, etherType: 0x0800 });
    expect(p.ipv4).toMatchObject({ src: '192.168.1.10', dst: '192.168.1.20', ttl: 64, protocol: 17, dontFragment: true, checksumOk: true, totalLength: 103 });
    expect(p.udp).toMatchObject({ srcPort: 40000, dstPort: 8472, length: 83, checksum: 0x997d, checksumOk: true });
    expect(p.vxlan).toEqual({ flags: 8, vni: 1, valid: true });
    expect(p.inner?.eth).toMatchObject({ src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' });
    expect(p.inner?.ipv4).toMatchObject({ src: '10.244.0.0', dst: '10.244.1.0', protocol: 1, checksumOk: true });
    expect(p.inner?.icmp).toMatchObject({ type: 8, code: 0, id: 0x1234, seq: 1, checksumOk: true, quoted: null });
    expect(p.token).toEqual({ runId: 0x01020304, probeId: 7, seq: 1 });
    expect(p.payloadLength).toBe(tokenLayout().length + 5);
  });

  it('builds and parses the 802.1Q / 4789 / 24-bit VNI / inner UDP frame with zero checksum', () => {
    const spec: FrameSpec = {
      srcMac: '02:00:00:00:01:01', dstMac: '02:00:00:00:01:02', vlan: 100,
      srcIp: '10.1.0.1', dstIp: '10.1.0.2', ttl: 255, tos: 0xb8, ipId: 0xbeef, dontFragment: false,
      srcPort: 54321, dstPort: 4789, udpChecksum: 'zero', vxlan: { vni: 0xabcdef },
      inner: {
        srcMac: 'aa:bb:cc:dd:ee:01', dstMac: 'aa:bb:cc:dd:ee:02', vlan: 7,
        srcIp: '172.16.0.1', dstIp: '172.16.0.2', ttl: 32, tos: 0x10, ipId: 0x0101,
        protocol: 'udp', srcPort: 5000, dstPort: 6000,
      },
      payload: encodeToken({ runId: 0xdeadbeef, probeId: 0xffffffff, seq: 42 }),
    };
    const bytes = fixture('vxlan-4789-vlan-udp-zero-csum.hex');
    expect(buildFrame(spec).toString('hex')).toBe(bytes.toString('hex'));
    const p = parseFrame(bytes);
    expect(p.error).toBeNull();
    expect(p.eth?.vlan).toBe(100);
    expect(p.ipv4).toMatchObject({ ttl: 255, tos: 0xb8, id: 0xbeef, dontFragment: false });
    expect(p.udp).toMatchObject({ dstPort: 4789, checksum: 0, checksumOk: null });
    expect(p.vxlan).toEqual({ flags: 8, vni: 0xabcdef, valid: true });
    expect(p.inner?.eth?.vlan).toBe(7);
    expect(p.inner?.udp).toMatchObject({ srcPort: 5000, dstPort: 6000, checksumOk: true });
    expect(p.token).toEqual({ runId: 0xdeadbeef, probeId: 0xffffffff, seq: 42 });
  });

  it('builds and parses the plain UDP probe', () => {
    const spec: FrameSpec = {
      srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '192.168.1.10', dstIp: '192.168.1.20',
      srcPort: 40001, dstPort: 8475, payload: encodeToken({ runId: 9, probeId: 1, seq: 0 }, 'plain'),
    };
    const bytes = fixture('plain-udp-8475.hex');
    expect(buildFrame(spec).equals(bytes)).toBe(true);
    // 8475 is a VXLAN port by default; the payload is a token, so VXLAN flags are not 0x08.
    const p = parseFrame(bytes, { vxlanPorts: [4789] });
    expect(p.vxlan).toBeNull();
    expect(p.token).toEqual({ runId: 9, probeId: 1, seq: 0 });
    expect(p.udp?.checksumOk).toBe(true);
  });
});

describe('checksum options', () => {
  it('zero writes 0 and parses as null; wrong is detected', () => {
    const zero = parseFrame(buildFrame({ ...vni1Spec, udpChecksum: 'zero' }));
    expect(zero.udp).toMatchObject({ checksum: 0, checksumOk: null });
    const wrong = parseFrame(buildFrame({ ...vni1Spec, udpChecksum: 'wrong' }));
    expect(wrong.udp?.checksumOk).toBe(false);
    expect(wrong.udp?.checksum).not.toBe(0);
    expect(wrong.ipv4?.checksumOk).toBe(true);
    expect(wrong.inner?.icmp?.checksumOk).toBe(true);
  });

  it('detects a flipped bit in the IPv4 header and the inner ICMP', () => {
    const f = buildFrame(vni1Spec);
    const ipBroken = Buffer.from(f);
    ipBroken.writeUInt8(ipBroken.readUInt8(14 + 8) ^ 1, 14 + 8); // TTL
    expect(parseFrame(ipBroken).ipv4?.checksumOk).toBe(false);
    const icmpBroken = Buffer.from(f);
    icmpBroken.writeUInt8(icmpBroken.readUInt8(f.length - 1) ^ 0x40, f.length - 1);
    const p = parseFrame(icmpBroken);
    expect(p.inner?.icmp?.checksumOk).toBe(false);
    expect(p.udp?.checksumOk).toBe(false);
  });
});

describe('padTo', () => {
  it('makes the outer IPv4 total length exact and keeps checksums right', () => {
    for (const padTo of [103, 104, 500, 1450, 1500]) {
      const f = buildFrame({ ...vni1Spec, padTo });
      const p = parseFrame(f);
      expect(p.ipv4?.totalLength).toBe(padTo);
      expect(f.length).toBe(14 + padTo);
      expect(p.udp?.checksumOk).toBe(true);
      expect(p.inner?.icmp?.checksumOk).toBe(true);
      expect(p.inner?.ipv4?.totalLength).toBe(padTo - 20 - 8 - 8 - 14);
      expect(p.token).toEqual({ runId: 0x01020304, probeId: 7, seq: 1 });
    }
  });

  it('is a RangeError naming padTo below the unpadded size', () => {
    expect(() => buildFrame({ ...vni1Spec, padTo: 102 })).toThrow(RangeError);
    expect(() => buildFrame({ ...vni1Spec, padTo: 102 })).toThrow(/padTo/);
  });
});

describe('outer ICMP and the ipv4 layer', () => {
  it('builds a plain ICMP echo with token without Ethernet and parses it with layer ipv4', () => {
    const f = buildFrame({
      layer: 'ipv4', srcIp: '10.244.0.0', dstIp: '10.244.1.0', icmp: { id: 99, seq: 5 },
      payload: encodeToken({ runId: 1, probeId: 2, seq: 3 }),
    });
    expect(f[0]).toBe(0x45);
    const p = parseFrame(f, { layer: 'ipv4' });
    expect(p.eth).toBeNull();
    expect(p.icmp).toMatchObject({ type: 8, code: 0, id: 99, seq: 5, checksumOk: true });
    expect(p.token).toEqual({ runId: 1, probeId: 2, seq: 3 });
  });

  it('parses an ICMP port unreachable and the probe it quotes', () => {
    const probe = buildFrame({ ...vni1Spec, layer: 'ipv4', srcMac: undefined, dstMac: undefined });
    // Cut inside the text after the token, as a router quoting less than the whole probe would.
    const quote = probe.subarray(0, 100);
    const err = buildFrame({ layer: 'ipv4', srcIp: '192.168.1.20', dstIp: '192.168.1.10', icmp: { type: 3, code: 3 }, payload: quote });
    const p = parseFrame(err, { layer: 'ipv4' });
    expect(p.icmp?.type).toBe(3);
    expect(p.icmp?.id).toBeNull();
    const q = p.icmp?.quoted;
    expect(q?.ipv4).toMatchObject({ src: '192.168.1.10', dst: '192.168.1.20', totalLength: 103 });
    expect(q?.udp).toMatchObject({ srcPort: 40000, dstPort: 8472, checksumOk: null });
    expect(q?.vxlan?.vni).toBe(1);
    expect(q?.inner?.ipv4?.dst).toBe('10.244.1.0');
    expect(q?.token).toEqual({ runId: 0x01020304, probeId: 7, seq: 1 });
    expect(q?.error).toBeNull();
  });

  it('reports next-hop MTU of fragmentation needed', () => {
    const probe = buildFrame({ ...vni1Spec, layer: 'ipv4' });
    const f = buildFrame({ layer: 'ipv4', srcIp: '10.0.0.254', dstIp: '192.168.1.10', icmp: { type: 3, code: 4, id: 0, seq: 1400 }, payload: probe.subarray(0, 28) });
    const p = parseFrame(f, { layer: 'ipv4' });
    expect(p.icmp?.nextHopMtu).toBe(1400);
    expect(p.icmp?.quoted?.udp?.dstPort).toBe(8472);
    expect(p.icmp?.quoted?.error?.layer).toBe('vxlan');
  });
});

describe('spec validation', () => {
  const bad: Array<[string, FrameSpec, RegExp, typeof TypeError]> = [
    ['vni too big', { ...vni1Spec, vxlan: { vni: 2 ** 24 } }, /vni/, RangeError],
    ['vni negative', { ...vni1Spec, vxlan: { vni: -1 } }, /vni/, RangeError],
    ['vni fractional', { ...vni1Spec, vxlan: { vni: 1.5 } }, /vni/, RangeError],
    ['port', { ...vni1Spec, dstPort: 65536 }, /dstPort/, RangeError],
    ['ttl', { ...vni1Spec, ttl: 256 }, /ttl/, RangeError],
    ['vlan', { ...vni1Spec, vlan: 4096 }, /vlan/, RangeError],
    ['inner tos', { ...vni1Spec, inner: { ...vni1Spec.inner!, tos: -1 } }, /inner\.tos/, RangeError],
    ['mac', { ...vni1Spec, srcMac: 'zz:00:00:00:00:01' }, /srcMac/, TypeError],
    ['short mac', { ...vni1Spec, dstMac: '02:00:00:00:00' }, /dstMac/, TypeError],
    ['ip', { ...vni1Spec, dstIp: '10.0.0.256' }, /dstIp/, TypeError],
    ['inner ip', { ...vni1Spec, inner: { ...vni1Spec.inner!, srcIp: 'x' } }, /inner\.srcIp/, TypeError],
    ['protocol', { ...vni1Spec, inner: { ...vni1Spec.inner!, protocol: 'tcp' as 'udp' } }, /protocol/, TypeError],
    ['checksum mode', { ...vni1Spec, udpChecksum: 'maybe' as 'zero' }, /udpChecksum/, TypeError],
    ['layer', { ...vni1Spec, layer: 'ip6' as 'ipv4' }, /layer/, TypeError],
  ];
  for (const [name, spec, re, kind] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => buildFrame(spec)).toThrow(kind);
      expect(() => buildFrame(spec)).toThrow(re);
    });
  }

  it('rejects a non-buffer to parseFrame and bad options', () => {
    expect(() => parseFrame('abc' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => parseFrame(Buffer.alloc(0), { vxlanPorts: [0] })).toThrow(RangeError);
    expect(() => parseFrame(Buffer.alloc(0), { layer: 'x' as 'ipv4' })).toThrow(TypeError);
  });
});

describe('VXLAN recognition', () => {
  it('honours vxlanPorts and flags invalid VXLAN headers', () => {
    const f = buildFrame({ ...vni1Spec, dstPort: 9999, vxlan: { vni: 5, flags: 0x0c } });
    expect(parseFrame(f).vxlan).toBeNull();
    const p = parseFrame(f, { vxlanPorts: [9999] });
    expect(p.vxlan).toEqual({ flags: 0x0c, vni: 5, valid: false });
    expect(p.inner?.ipv4?.src).toBe('10.244.0.0');
  });
});

describe('token', () => {
  it('is laid out as documented and round-trips', () => {
    expect(tokenLayout()).toEqual({ magic: 'VXPB', version: 1, length: 20, runIdOffset: 8, probeIdOffset: 12, seqOffset: 16 });
    const t = encodeToken({ runId: 0xffffffff, probeId: 0, seq: 77 }, 'x');
    expect(decodeToken(t)).toEqual({ runId: 0xffffffff, probeId: 0, seq: 77 });
    expect(decodeToken(t.subarray(0, 19))).toBeNull();
    expect(() => encodeToken({ runId: -1, probeId: 0, seq: 0 })).toThrow(/runId/);
  });

  it('stamps seq in place where the parser reads it', () => {
    const f = buildFrame({ ...vni1Spec, udpChecksum: 'zero' });
    const p0 = parseFrame(f);
    stampSeq(f, p0.payloadOffset, 123456);
    const p = parseFrame(f);
    expect(p.token).toEqual({ runId: 0x01020304, probeId: 7, seq: 123456 });
  });
});

describe('fragments', () => {
  it('parses a first fragment leniently and leaves later fragments as payload', () => {
    const whole = buildFrame({ ...vni1Spec, layer: 'ipv4', dontFragment: false, padTo: 1400 });
    // First fragment: MF set, 1000 bytes of the 1380-byte datagram.
    const first = Buffer.from(whole.subarray(0, 1020));
    first.writeUInt16BE(1020, 2);
    first.writeUInt16BE(0x2000, 6);
    first.writeUInt16BE(0, 10);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += first.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    first.writeUInt16BE(~sum & 0xffff, 10);
    const p = parseFrame(first, { layer: 'ipv4' });
    expect(p.error).toBeNull();
    expect(p.ipv4).toMatchObject({ moreFragments: true, fragmentOffset: 0, checksumOk: true });
    expect(p.udp).toMatchObject({ length: 1380, checksumOk: null });
    expect(p.vxlan?.vni).toBe(1);
    expect(p.token).toEqual({ runId: 0x01020304, probeId: 7, seq: 1 });
    const later = Buffer.from(first);
    later.writeUInt16BE(125, 6); // offset 1000 bytes, no MF
    const q = parseFrame(later, { layer: 'ipv4' });
    expect(q.udp).toBeNull();
    expect(q.ipv4?.fragmentOffset).toBe(1000);
    expect(q.payloadLength).toBe(1000);
  });
});
