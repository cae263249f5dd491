import { describe, expect, it } from 'vitest';
import { buildFrame, parseFrame } from '../../src/wire/frame.js';
import { decodePcap, encodePcap } from '../../src/wire/pcap.js';

describe('pcap', () => {
  it('round-trips frames and timestamps', () => {
    const f = buildFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '1.2.3.4', dstIp: '5.6.7.8', srcPort: 1, dstPort: 2 });
    const recs = decodePcap(encodePcap([{ timeUs: 1_700_000_000_123_456, data: f, origLength: f.length }, f]));
    expect(recs).toHaveLength(2);
    expect(recs[0]?.timeUs).toBe(1_700_000_000_123_456);
    expect(recs[0]?.data.equals(f)).toBe(true);
    expect(parseFrame(recs[1]!.data).udp?.dstPort).toBe(2);
  });

  it('rejects non-pcap and truncated files with a message', () => {
    expect(() => decodePcap(Buffer.alloc(10))).toThrow(/not a pcap/);
    expect(() => decodePcap(Buffer.alloc(24))).toThrow(/classic pcap/);
    const good = encodePcap([Buffer.alloc(60)]);
    expect(() => decodePcap(good.subarray(0, good.length - 1))).toThrow(/truncated/);
  });
});
