// The forwarding probe: a TTL-1 packet to the receiver's pod network, in a
// frame addressed to its VTEP, never to a pod; and what the classifier says
// about where the receiver's forwarding ends.
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/classify.js';
import type { RunRecord } from '../../src/diagnose/types.js';
import { buildProbe, vtepProbeLength, type SendContext } from '../../src/pair/probe-frames.js';
import { podForwardTarget } from '../../src/pair/pod-forward.js';
import type { ProbeSpec } from '../../src/pair/plan-types.js';
import { parseFrame } from '../../src/wire/frame.js';
import { A, B, nodeFacts, simulate } from '../helpers/run-fixture.js';

const spec: ProbeSpec = { probeId: 9, direction: 'forward', kind: 'pod-forward', port: 8472, vni: 1, size: null, copies: 1 };
const ctx = (): SendContext => ({ runId: 77, srcIp: A.ip, srcMac: '02:00:00:00:00:aa', nextHopMac: '02:00:00:00:00:bb', peerIp: B.ip, facts: nodeFacts(A, B), peerVteps: [{ port: 8472, vni: 1, ip: B.vtep!.ip, mac: B.vtep!.mac }], probeKey: Buffer.alloc(16, 7) });

describe('pod-forward probe', () => {
  it('targets the first pod address of the subnet our tables route via the peer\'s VTEP', () => {
    expect(podForwardTarget([{ dst: '10.244.1.0/24', gateway: '10.244.1.0' }], '10.244.1.0')).toBe('10.244.1.2');
    expect(podForwardTarget([{ dst: '10.244.1.0/24', gateway: '10.244.9.0' }], '10.244.1.0')).toBeNull();
    expect(podForwardTarget([{ dst: 'default', gateway: '10.244.1.0' }, { dst: '10.244.1.7/32', gateway: '10.244.1.0' }], '10.244.1.0')).toBeNull();
    expect(podForwardTarget([{ dst: '10.244.1.0/31', gateway: '10.244.1.2' }], '10.244.1.2')).toBeNull();
  });

  it('is a frame to the peer\'s VTEP carrying a TTL-1 echo to that address, with the token', () => {
    const built = buildProbe(spec, 2, ctx());
    expect(built.path).toBe('wire');
    const f = built.path === 'wire' ? parseFrame(built.frame) : null;
    expect(f?.ipv4?.dst).toBe(B.ip);
    expect(f?.vxlan?.vni).toBe(1);
    expect(f?.inner?.eth?.dst).toBe(B.vtep!.mac);
    expect(f?.inner?.ipv4).toMatchObject({ src: A.vtep!.ip, dst: '10.244.1.2', ttl: 1 });
    expect(f?.token).toEqual({ runId: 77, probeId: 9, seq: 2 });
  });

  it('the crafted VTEP probes share one outer length per run, so a drop trace can tell this run\'s frames apart', () => {
    for (const kind of ['vtep-peer', 'vtep-own', 'pod-forward'] as const) {
      const built = buildProbe({ ...spec, kind }, 1, ctx());
      expect(built.path === 'wire' && parseFrame(built.frame).ipv4?.totalLength, kind).toBe(vtepProbeLength(77));
    }
    expect(vtepProbeLength(77)).not.toBe(vtepProbeLength(78));
  });

  it('is not sent without a route to the peer\'s pod network', () => {
    const c = ctx();
    c.facts.routes = [];
    expect(buildProbe(spec, 1, c)).toEqual({ path: 'none', reason: 'no route sends a pod network via 10.244.1.0' });
  });
});

describe('where forwarding ends, as host-drop evidence', () => {
  const forwardingOff = (reason: string): RunRecord => {
    const rx = nodeFacts(B, A);
    rx.sysctls.ipForward = false;
    const rec = simulate(nodeFacts(A, B), rx);
    const probes = rec.plan.probes.filter((p) => p.direction === 'forward' && p.port === 8472 && p.kind === 'pod-forward');
    expect(probes).toHaveLength(1);
    const drops = probes.map((p) => ({ probeId: p.probeId, seq: 1, reason, location: reason === 'IP_INHDR' ? 'ip_forward' : 'ip_error' }));
    const capture = { available: true, note: null, nic: 'eth0', framesSeen: 30, framesMatched: 30, drops, truncated: false };
    return { ...rec, kernelDrops: { local: { ...capture, drops: [] }, peer: capture } };
  };
  const fwd = (rec: RunRecord) => classify(rec).find((r) => r.port === 8472 && r.direction === 'forward')!;

  it('ip_forward=0: the kernel\'s reason for not forwarding, after the sysctl', () => {
    const r = fwd(forwardingOff('IP_INADDRERRORS'));
    expect(r.verdict).toBe('host-drop');
    expect(r.evidence.map((e) => e.kind)).toEqual(['vtep-answers', 'ip-forward-off', 'kernel-drop-reason']);
    expect(r.evidence[2]!.message).toMatch(/^node-b's kernel dropped the TTL-1 packet to .* instead of forwarding it towards its pods: reason IP_INADDRERRORS \(in ip_error\)$/);
  });

  it('a host that forwards (TTL expired, IP_INHDR) says the drop is in a later step', () => {
    const r = fwd(forwardingOff('IP_INHDR'));
    expect(r.evidence.at(-1)!.kind).toBe('kernel-forwards');
  });
});
