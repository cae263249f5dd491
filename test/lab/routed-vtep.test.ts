// The kernel VTEP path: an ICMP echo with our token, sent through the routed
// path to the peer's VTEP address, is encapsulated by the sender's flannel.1,
// decapsulated by the peer's, and the echo reply (with the token) comes back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { buildFrame, parseFrame } from '../../src/wire/frame.js';
import { readPcap } from '../../src/wire/pcap.js';
import { encodeToken } from '../../src/wire/token.js';
import { createFlannelPair, type FlannelPair } from './helpers/flannel-pair.js';
import { startCapture } from './helpers/capture.js';
import { routedProbe } from './helpers/run-in-netns.js';

const RUN = 0x7e7e0001;

describeRoot('kernel VTEP round trip through flannel.1', () => {
  let pair: FlannelPair;
  let dir: string;

  beforeAll(() => {
    pair = createFlannelPair();
    dir = mkdtempSync(join(tmpdir(), 'vxprobe-vtep-'));
  });
  afterAll(() => {
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function echo(probeId: number, dstIp: string): Buffer {
    return buildFrame({
      layer: 'ipv4', srcIp: pair.a.vtepIp, dstIp, icmp: { id: 0x7e7e, seq: probeId },
      payload: encodeToken({ runId: RUN, probeId, seq: 1 }, 'vtep'),
    });
  }

  it('gets the echo reply with our token, and the underlay carried it as VNI 1 on 8472', async () => {
    const { a, b } = pair;
    const file = join(dir, 'b.pcap');
    const cap = await startCapture(b.ns, 'eth0', file, ['udp', 'port', '8472']);
    let res;
    try {
      res = routedProbe(a.ns, [echo(1, b.vtepIp)], 3000, 1);
    } finally {
      await cap.stop();
    }
    expect(res.sendErrors).toEqual([]);
    expect(res.replies).toHaveLength(1);
    expect(res.replies[0]).toMatchObject({ from: b.vtepIp, id: 0x7e7e, seq: 1, token: { runId: RUN, probeId: 1, seq: 1 } });

    const frames = readPcap(file).map((r) => parseFrame(r.data)).filter((f) => f.token?.runId === RUN);
    const request = frames.find((f) => f.inner?.icmp?.type === 8);
    const reply = frames.find((f) => f.inner?.icmp?.type === 0);
    expect(request?.vxlan?.vni).toBe(1);
    expect(request?.udp?.dstPort).toBe(8472);
    expect(request?.inner?.eth).toMatchObject({ src: a.vtepMac, dst: b.vtepMac });
    expect(request?.ipv4).toMatchObject({ src: a.ip, dst: b.ip });
    expect(reply?.inner?.ipv4).toMatchObject({ src: b.vtepIp, dst: a.vtepIp });
  });

  it('gets nothing back when the peer VTEP MAC in the neighbor table is stale', () => {
    const { a, b } = pair;
    a.ns.ip(['neigh', 'replace', b.vtepIp, 'lladdr', '0a:58:de:ad:be:ef', 'dev', 'flannel.1', 'nud', 'permanent']);
    try {
      const res = routedProbe(a.ns, [echo(2, b.vtepIp)], 1000);
      expect(res.sendErrors).toEqual([]);
      expect(res.replies).toEqual([]);
    } finally {
      a.ns.ip(['neigh', 'replace', b.vtepIp, 'lladdr', b.vtepMac, 'dev', 'flannel.1', 'nud', 'permanent']);
    }
  });
});
