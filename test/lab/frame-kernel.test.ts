// Our parser must decode the frames the kernel's own VXLAN device produces:
// a flannel-style pair, a ping between VTEPs through flannel.1, captured by
// tcpdump on the underlay and decoded here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { parseFrame } from '../../src/wire/frame.js';
import { readPcap } from '../../src/wire/pcap.js';
import { createFlannelPair, type FlannelPair } from './helpers/flannel-pair.js';
import { startCapture } from './helpers/capture.js';

describeRoot('kernel VXLAN frames decoded by our parser', () => {
  let pair: FlannelPair;
  let dir: string;

  beforeAll(() => {
    pair = createFlannelPair();
    dir = mkdtempSync(join(tmpdir(), 'vxprobe-kernel-'));
  });
  afterAll(() => {
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sees VNI 1 on 8472 with the VTEP MACs and an inner ICMP echo both ways', async () => {
    const { a, b } = pair;
    const file = join(dir, 'b.pcap');
    const cap = await startCapture(b.ns, 'eth0', file, ['udp', 'port', '8472']);
    try {
      // Four echoes for three of each way: on a loaded machine (CI runs test
      // files in parallel) tcpdump has once missed one of three.
      a.ns.run(['ping', '-c', '4', '-i', '0.2', '-W', '2', b.vtepIp]);
    } finally {
      await cap.stop();
    }
    const frames = readPcap(file).map((r) => parseFrame(r.data));
    const requests = frames.filter((f) => f.inner?.icmp?.type === 8);
    const replies = frames.filter((f) => f.inner?.icmp?.type === 0);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    for (const f of requests) {
      expect(f.error).toBeNull();
      expect(f.ipv4).toMatchObject({ src: a.ip, dst: b.ip, protocol: 17, checksumOk: true });
      expect(f.udp?.dstPort).toBe(8472);
      expect(f.vxlan).toEqual({ flags: 8, vni: 1, valid: true });
      expect(f.inner?.eth).toMatchObject({ src: a.vtepMac, dst: b.vtepMac, etherType: 0x0800 });
      expect(f.inner?.ipv4).toMatchObject({ src: a.vtepIp, dst: b.vtepIp, protocol: 1, checksumOk: true });
      expect(f.inner?.icmp?.checksumOk).toBe(true);
    }
    for (const f of replies) {
      expect(f.vxlan?.vni).toBe(1);
      expect(f.ipv4).toMatchObject({ src: b.ip, dst: a.ip });
      expect(f.inner?.eth).toMatchObject({ src: b.vtepMac, dst: a.vtepMac });
      expect(f.inner?.ipv4).toMatchObject({ src: b.vtepIp, dst: a.vtepIp });
    }
  });
});
