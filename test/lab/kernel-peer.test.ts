// The Linux kernel as the peer: a flannel-style VXLAN device in namespace B
// decapsulates an ICMP echo our addon crafted and sent from A, and its
// encapsulated echo reply is captured and parsed by our sniffer on A. Our
// sniffer on B sees the probe although flannel.1's socket owns udp/8472.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { jsonLines, runInNs, startInNs, tsxArgv } from '../helpers/ns-node.js';
import { linkMac, twoNodes, type TwoNodes } from '../helpers/two-nodes.js';
import { encodeToken } from '../../src/wire/token.js';
import type { ParsedFrame } from '../../src/wire/frame.js';

interface Rec {
  direction: 'in' | 'out';
  frame: ParsedFrame;
}

const PRETEND_A_VTEP_MAC = '0e:aa:00:00:00:01';
const RUN_ID = 0x5eed0001;

describeRoot('kernel VXLAN device as the peer', () => {
  let net: TwoNodes;
  let flannelMac: string;
  beforeAll(() => {
    net = twoNodes('kp');
    const b = net.b;
    b.ip(['link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'local', net.bIp, 'dev', 'eth0', 'nolearning']);
    b.ip(['addr', 'add', '10.244.1.0/32', 'dev', 'flannel.1']);
    b.ip(['link', 'set', 'flannel.1', 'up']);
    b.ip(['route', 'add', '10.244.0.0/24', 'via', '10.244.0.0', 'dev', 'flannel.1', 'onlink']);
    b.ip(['neigh', 'replace', '10.244.0.0', 'lladdr', PRETEND_A_VTEP_MAC, 'dev', 'flannel.1', 'nud', 'permanent']);
    b.run(['bridge', 'fdb', 'append', PRETEND_A_VTEP_MAC, 'dev', 'flannel.1', 'dst', net.aIp]);
    flannelMac = linkMac(b, 'flannel.1');
  });
  afterAll(() => net?.remove());

  it('B decapsulates our crafted echo and A captures the encapsulated reply with the token', async () => {
    // Proof that the kernel's VXLAN socket holds udp/8472 in B.
    const ss = spawnSync('ip', ['netns', 'exec', net.b.name, 'ss', '-Huln', 'sport = :8472'], { encoding: 'utf8' });
    expect(ss.stdout).toMatch(/:8472/);

    const opts = JSON.stringify({ ports: [8472], icmp: false });
    const until = JSON.stringify({ durationMs: 30_000 });
    const onA = startInNs(net.a.name, tsxArgv('test/lab/scripts/capture.ts', ['eth0', opts, until]));
    const onB = startInNs(net.b.name, tsxArgv('test/lab/scripts/capture.ts', ['eth0', opts, until]));
    await Promise.all([onA.ready, onB.ready]);
    const spec = {
      srcMac: net.aMac, dstMac: net.bMac, srcIp: net.aIp, dstIp: net.bIp, srcPort: 43210, dstPort: 8472,
      vxlan: { vni: 1 },
      inner: {
        srcMac: PRETEND_A_VTEP_MAC, dstMac: flannelMac, srcIp: '10.244.0.0', dstIp: '10.244.1.0',
        protocol: 'icmp', icmpId: 0x4242, icmpSeq: 1,
      },
      payload: encodeToken({ runId: RUN_ID, probeId: 1, seq: 7 }, 'kernel peer').toString('hex'),
    };
    runInNs(net.a.name, 'test/lab/scripts/send.ts', ['eth0', JSON.stringify([{ spec, count: 3 }])]);
    await Promise.all([onA.stop(500), onB.stop(500)]);
    const [a, b] = await Promise.all([onA.done, onB.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);

    const replies = (jsonLines(a.stdout).slice(0, -1) as Rec[]).filter((r) => r.direction === 'in');
    expect(replies.length).toBe(3);
    for (const { frame } of replies) {
      expect(frame.error).toBeNull();
      expect(frame.udp?.dstPort).toBe(8472);
      expect(frame.ipv4).toMatchObject({ src: net.bIp, dst: net.aIp, checksumOk: true });
      expect(frame.vxlan).toMatchObject({ vni: 1, valid: true });
      expect(frame.inner?.eth).toMatchObject({ src: flannelMac, dst: PRETEND_A_VTEP_MAC });
      expect(frame.inner?.ipv4).toMatchObject({ src: '10.244.1.0', dst: '10.244.0.0' });
      expect(frame.inner?.icmp).toMatchObject({ type: 0, id: 0x4242, seq: 1, checksumOk: true });
      expect(frame.token).toEqual({ runId: RUN_ID, probeId: 1, seq: 7 });
    }

    // On B, while flannel.1 owns udp/8472: our probes in, the kernel's replies out.
    const seenOnB = jsonLines(b.stdout).slice(0, -1) as Rec[];
    const probesIn = seenOnB.filter((r) => r.direction === 'in' && r.frame.udp?.srcPort === 43210);
    expect(probesIn.length).toBe(3);
    expect(probesIn[0]!.frame.inner?.icmp?.type).toBe(8);
    expect(seenOnB.filter((r) => r.direction === 'out').length).toBe(3);
  });
});
