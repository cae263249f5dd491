// The routed path and ICMP feedback against real kernels: A - router - B.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { Shell } from '../../src/lab/exec.js';
import { createNetns, deleteNetns, newRunTag, vethBetween, type Netns } from '../../src/lab/netns.js';
import { buildFrame, type FrameSpec } from '../../src/wire/frame.js';
import { encodeToken } from '../../src/wire/token.js';
import { routedProbe } from './helpers/run-in-netns.js';

const RUN = 0x5eed0001;
const A = '10.1.0.2';
const ROUTER_A = '10.1.0.1';
const B = '10.2.0.2';

function vxlanProbe(probeId: number, over: Partial<FrameSpec> = {}): Buffer {
  return buildFrame({
    layer: 'ipv4', srcIp: A, dstIp: B, srcPort: 40000, dstPort: 8472, vxlan: { vni: 1 },
    inner: { srcMac: '0a:58:0a:f4:00:00', dstMac: '0a:58:0a:f4:01:00', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp' },
    payload: encodeToken({ runId: RUN, probeId, seq: 1 }, 'routed'),
    ...over,
  });
}

describeRoot('routed path: ICMP errors quoting our probes', () => {
  const shell = new Shell();
  let a: Netns, r: Netns, b: Netns;
  const made: Netns[] = [];

  beforeAll(() => {
    const tag = newRunTag();
    try {
      a = createNetns(shell, tag, 'a');
      made.push(a);
      r = createNetns(shell, tag, 'r');
      made.push(r);
      b = createNetns(shell, tag, 'b');
      made.push(b);
      vethBetween(shell, a, 'eth0', r, 'eth-a');
      vethBetween(shell, b, 'eth0', r, 'eth-b');
      a.ip(['addr', 'add', `${A}/24`, 'dev', 'eth0']);
      a.ip(['route', 'add', 'default', 'via', ROUTER_A]);
      r.ip(['addr', 'add', `${ROUTER_A}/24`, 'dev', 'eth-a']);
      r.ip(['addr', 'add', '10.2.0.1/24', 'dev', 'eth-b']);
      r.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      b.ip(['addr', 'add', `${B}/24`, 'dev', 'eth0']);
      b.ip(['route', 'add', 'default', 'via', '10.2.0.1']);
    } catch (err) {
      for (const ns of made) deleteNetns(shell, ns);
      throw err;
    }
  });
  afterAll(() => {
    for (const ns of made) deleteNetns(shell, ns);
  });

  it('port unreachable from B quotes the whole VXLAN probe and its token', () => {
    const res = routedProbe(a, [vxlanProbe(1)], 3000, 1);
    expect(res.sendErrors).toEqual([]);
    expect(res.quotes).toHaveLength(1);
    const q = res.quotes[0]!;
    expect(q).toMatchObject({ from: B, type: 3, code: 3, token: { runId: RUN, probeId: 1, seq: 1 } });
    expect(q.quoted.udp?.dstPort).toBe(8472);
    expect(q.quoted.vxlan).toEqual({ flags: 8, vni: 1, valid: true });
    expect(q.quoted.inner?.eth?.dst).toBe('0a:58:0a:f4:01:00');
    // The router decremented the TTL: the packet really was routed.
    expect(q.quoted.ipv4?.ttl).toBe(63);
  });

  it('an nft reject on the router gives admin-prohibited (3/13) from the router', () => {
    r.run(['nft', '-f', '-'], {
      input: 'table inet vxp_sg {\n chain sg_forward {\n  type filter hook forward priority 0;\n  udp dport 8472 reject with icmp type admin-prohibited\n }\n}\n',
    });
    try {
      const res = routedProbe(a, [vxlanProbe(2)], 3000, 1);
      expect(res.quotes).toHaveLength(1);
      expect(res.quotes[0]).toMatchObject({ from: ROUTER_A, type: 3, code: 13, token: { runId: RUN, probeId: 2, seq: 1 } });
      expect(res.quotes[0]!.quoted.vxlan?.vni).toBe(1);
    } finally {
      r.run(['nft', 'delete', 'table', 'inet', 'vxp_sg']);
    }
  });

  it('an INPUT reject on B gives host-prohibited (3/10) from B', () => {
    b.run(['nft', '-f', '-'], {
      input: 'table inet vxp_host {\n chain input {\n  type filter hook input priority 0;\n  udp dport 8475 reject with icmp type host-prohibited\n }\n}\n',
    });
    try {
      const res = routedProbe(a, [vxlanProbe(6, { dstPort: 8475 })], 3000, 1);
      expect(res.quotes).toHaveLength(1);
      expect(res.quotes[0]).toMatchObject({ from: B, type: 3, code: 10, token: { runId: RUN, probeId: 6 } });
      expect(res.quotes[0]!.quoted.udp?.dstPort).toBe(8475);
    } finally {
      b.run(['nft', 'delete', 'table', 'inet', 'vxp_host']);
    }
  });

  it('TTL 1 gives time exceeded (11/0) from the router', () => {
    const res = routedProbe(a, [vxlanProbe(3, { ttl: 1 })], 3000, 1);
    expect(res.quotes).toHaveLength(1);
    expect(res.quotes[0]).toMatchObject({ from: ROUTER_A, type: 11, code: 0, token: { runId: RUN, probeId: 3 } });
  });

  it('a DF probe over a smaller-MTU hop gets frag-needed (3/4) naming the next-hop MTU', () => {
    r.ip(['link', 'set', 'eth-b', 'mtu', '1280']);
    try {
      const res = routedProbe(a, [vxlanProbe(4, { padTo: 1400 })], 3000, 1);
      expect(res.quotes).toHaveLength(1);
      expect(res.quotes[0]).toMatchObject({ from: ROUTER_A, type: 3, code: 4, nextHopMtu: 1280, token: { runId: RUN, probeId: 4 } });
    } finally {
      r.ip(['link', 'set', 'eth-b', 'mtu', '1500']);
    }
  });

  it('a packet to an unroutable address is a send error, not a hang', () => {
    a.ip(['route', 'del', 'default']);
    try {
      const res = routedProbe(a, [vxlanProbe(5)], 200);
      expect(res.sendErrors).toHaveLength(1);
      expect(res.sendErrors[0]).toMatch(/10\.2\.0\.2.*unreachable/i);
    } finally {
      a.ip(['route', 'add', 'default', 'via', ROUTER_A]);
    }
  });
});
