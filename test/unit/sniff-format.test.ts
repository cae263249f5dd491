// sniff's output for frames built by the codec: stable JSON fields and a
// readable line, without root.
import { describe, expect, it } from 'vitest';
import { buildFrame, parseFrame } from '../../src/wire/frame.js';
import { encodeToken } from '../../src/wire/token.js';
import { formatSniffLine, toSniffRecord } from '../../src/commands/sniff-format.js';
import type { CapturedFrame } from '../../src/wire/packet-socket.js';

function captured(buf: Buffer, direction: 'in' | 'out' = 'in'): CapturedFrame {
  return { time: Date.UTC(2026, 10, 21, 12, 0, 0, 123) + 0.456, direction, length: buf.length, frame: parseFrame(buf) };
}

describe('sniff output', () => {
  const vxlan = buildFrame({
    srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '192.168.1.1', dstIp: '192.168.1.2',
    srcPort: 40000, dstPort: 8472, ttl: 63, vxlan: { vni: 1 },
    inner: { srcMac: '0e:00:00:00:00:0a', dstMac: '0e:00:00:00:00:0b', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp' },
    payload: encodeToken({ runId: 0xdeadbeef, probeId: 2, seq: 9 }, 'x'),
  });

  it('maps every layer to the documented JSON fields', () => {
    const r = toSniffRecord(captured(vxlan));
    expect(r).toEqual({
      time: Date.UTC(2026, 10, 21, 12, 0, 0, 123) + 0.456, direction: 'in', length: vxlan.length,
      srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', vlan: null,
      src: '192.168.1.1', dst: '192.168.1.2', ttl: 63, tos: 0, ipChecksum: 'ok', proto: 'udp',
      srcPort: 40000, dstPort: 8472, udpChecksum: 'ok', icmp: null,
      vxlan: { flags: 8, vni: 1, valid: true },
      inner: {
        srcMac: '0e:00:00:00:00:0a', dstMac: '0e:00:00:00:00:0b', src: '10.244.0.0', dst: '10.244.1.0', proto: 'icmp',
        ttl: 64, srcPort: null, dstPort: null, icmpType: 8, icmpCode: 0, checksum: 'ok',
      },
      token: { runId: 0xdeadbeef, probeId: 2, seq: 9 }, error: null,
    });
  });

  it('prints one readable line', () => {
    expect(formatSniffLine(toSniffRecord(captured(vxlan)))).toBe(
      '12:00:00.123456 in  192.168.1.1:40000 > 192.168.1.2:8472 ttl 63 udp csum ok vxlan vni 1 ' +
        `[0e:00:00:00:00:0a > 0e:00:00:00:00:0b 10.244.0.0 > 10.244.1.0 icmp 8/0 csum ok] token deadbeef/2/9 len ${vxlan.length}`,
    );
  });

  it('tells zero and bad checksums apart and names a truncation', () => {
    const zero = buildFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '1.1.1.1', dstIp: '2.2.2.2', srcPort: 1, dstPort: 9, udpChecksum: 'zero' });
    expect(toSniffRecord(captured(zero)).udpChecksum).toBe('zero');
    const wrong = buildFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '1.1.1.1', dstIp: '2.2.2.2', srcPort: 1, dstPort: 9, udpChecksum: 'wrong' });
    expect(toSniffRecord(captured(wrong)).udpChecksum).toBe('bad');
    const cut = toSniffRecord(captured(vxlan.subarray(0, 60)));
    expect(cut.error?.layer).toBeTruthy();
    expect(formatSniffLine(cut)).toMatch(new RegExp(`!${cut.error!.layer}@\\d+: `));
  });
});
