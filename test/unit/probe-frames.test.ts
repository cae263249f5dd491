import { describe, expect, it } from 'vitest';
import { buildProbe, type SendContext } from '../../src/pair/probe-frames.js';
import type { ProbeSpec } from '../../src/pair/plan-types.js';
import { parseFrame } from '../../src/wire/frame.js';
import { A, B, nodeFacts } from '../helpers/run-fixture.js';

const spec = (kind: ProbeSpec['kind'], extra: Partial<ProbeSpec> = {}): ProbeSpec => ({ probeId: 9, direction: 'reverse', kind, port: 8472, vni: 1, size: null, copies: 1, ...extra });

function ctx(peerVtepIp = B.vtep!.ip): SendContext {
  return { runId: 77, srcIp: A.ip, srcMac: '02:00:00:00:00:aa', nextHopMac: '02:00:00:00:00:bb', peerIp: B.ip, facts: nodeFacts(A, B), peerVteps: [{ port: 8472, vni: 1, ip: peerVtepIp, mac: B.vtep!.mac }], probeKey: Buffer.alloc(16, 3) };
}

describe('buildProbe', () => {
  it('every wire probe goes to the session peer and carries its token', () => {
    for (const kind of ['plain', 'vxlan', 'vxlan-other-vni', 'vtep-peer', 'vtep-own'] as const) {
      const built = buildProbe(spec(kind, kind === 'vxlan-other-vni' ? { vni: 4242 } : {}), 3, ctx());
      expect(built.path, kind).toBe('wire');
      if (built.path !== 'wire') continue;
      const f = parseFrame(built.frame);
      expect(f.ipv4?.dst).toBe(B.ip);
      expect(f.udp?.dstPort).toBe(8472);
      expect(f.token).toEqual({ runId: 77, probeId: 9, seq: 3 });
    }
  });

  it('a sized probe is exactly that size on the wire (outer IPv4)', () => {
    const built = buildProbe(spec('vxlan-size', { size: 1400 }), 1, ctx());
    expect(built.path === 'wire' && parseFrame(built.frame).ipv4?.totalLength).toBe(1400);
  });

  it('the VTEP echo is built from the peer\'s real VTEP', () => {
    const built = buildProbe(spec('vtep-peer'), 1, ctx());
    const f = built.path === 'wire' ? parseFrame(built.frame) : null;
    expect(f?.vxlan?.vni).toBe(1);
    expect(f?.inner?.eth?.dst).toBe(B.vtep!.mac);
    expect(f?.inner?.ipv4).toMatchObject({ src: A.vtep!.ip, dst: B.vtep!.ip });
    expect(f?.inner?.icmp?.type).toBe(8);
  });

  it('a kernel echo goes only to a VTEP address our own tables send into the overlay', () => {
    expect(buildProbe(spec('vtep-kernel'), 1, ctx()).path).toBe('routed');
    const elsewhere = buildProbe(spec('vtep-kernel'), 1, ctx('8.8.8.8'));
    expect(elsewhere).toEqual({ path: 'none', reason: 'no route or neighbor entry sends 8.8.8.8 into flannel.1' });
  });

  it('our own tables\' frame is not sent where they point if that is not the peer', () => {
    const c = ctx();
    c.facts.fdb[0]!.dst = '10.0.2.15';
    const built = buildProbe(spec('vtep-own'), 1, c);
    expect(built.path).toBe('none');
    expect(built.path === 'none' && built.reason).toMatch(/own FDB sends .* to 10\.0\.2\.15, not the peer 192\.168\.1\.3/);
  });
});
